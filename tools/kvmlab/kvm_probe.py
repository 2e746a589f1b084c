#!/usr/bin/python3
"""Probes /dev/kvm: which module provides it, and whether it runs real code.

Runs a 5-byte real-mode guest at the x86 reset vector (mov al,0x42;
out 0x10,al; hlt) through the plain KVM ioctl API and expects exactly a
KVM_EXIT_IO (port 0x10, byte 0x42) followed by KVM_EXIT_HLT.

--require-real: exit 1 unless the provider is kvm_amd or kvm_intel (the
hardware-model KVM of the lab), not kvm_pvm (this host's software KVM).
Exit 0 when the probe passes, 1 otherwise. Output: key=value lines.
"""

import ctypes
import fcntl
import mmap
import os
import signal
import struct
import sys

# include/uapi/linux/kvm.h
KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01
KVM_CHECK_EXTENSION = 0xAE03
KVM_GET_VCPU_MMAP_SIZE = 0xAE04
KVM_CREATE_VCPU = 0xAE41
KVM_SET_USER_MEMORY_REGION = 0x4020AE46
KVM_RUN = 0xAE80
KVM_CAP_USER_MEMORY = 3
KVM_CAP_IRQCHIP = 0
KVM_EXIT_IO = 2
KVM_EXIT_HLT = 5
KVM_EXIT_IO_OUT = 1

# The reset vector: CS.base=0xffff0000, IP=0xfff0 -> 0xfffffff0.
PAGE_GPA = 0xFFFFF000
CODE = bytes([0xB0, 0x42, 0xE6, 0x10, 0xF4])  # mov al,0x42; out 0x10,al; hlt


def provider():
  for mod in ("kvm_amd", "kvm_intel", "kvm_pvm"):
    if os.path.isdir("/sys/module/" + mod):
      return mod
  return "unknown"


def probe():
  kvm = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
  print("api_version=%d" % fcntl.ioctl(kvm, KVM_GET_API_VERSION, 0))
  vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
  print("create_vm=ok")
  print("cap_user_memory=%d" % fcntl.ioctl(vm, KVM_CHECK_EXTENSION,
                                           KVM_CAP_USER_MEMORY))
  print("cap_irqchip=%d" % fcntl.ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP))
  mem = mmap.mmap(-1, 4096)
  mem[0xFF0:0xFF0 + len(CODE)] = CODE
  addr = ctypes.addressof(ctypes.c_char.from_buffer(mem))
  region = struct.pack("=IIQQQ", 0, 0, PAGE_GPA, 4096, addr)
  fcntl.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region)
  vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
  run_size = fcntl.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)
  run = mmap.mmap(vcpu, run_size, mmap.MAP_SHARED,
                  mmap.PROT_READ | mmap.PROT_WRITE)
  exits = []
  for _ in range(4):
    fcntl.ioctl(vcpu, KVM_RUN, 0)
    reason = struct.unpack_from("=I", run, 8)[0]
    if reason == KVM_EXIT_IO:
      direction, size, port, count, off = struct.unpack_from("=BBHIQ", run, 32)
      data = run[off] if size == 1 else None
      exits.append("io(dir=%d,port=0x%x,data=%s)" % (
          direction, port, hex(data) if data is not None else "?"))
      if direction != KVM_EXIT_IO_OUT or port != 0x10 or data != 0x42:
        break
    elif reason == KVM_EXIT_HLT:
      exits.append("hlt")
      break
    else:
      exits.append("exit%d" % reason)
      break
  print("exits=%s" % ",".join(exits))
  return exits == ["io(dir=1,port=0x10,data=0x42)", "hlt"]


def main():
  require_real = "--require-real" in sys.argv[1:]
  prov = provider()
  print("provider=%s" % prov)
  # kvm_amd's nested (SVM inside the lab's guests) and npt (nested paging).
  for param in ("nested", "npt", "ept"):
    path = "/sys/module/%s/parameters/%s" % (prov, param)
    if os.path.exists(path):
      with open(path) as f:
        print("%s=%s" % (param, f.read().strip()))
  signal.alarm(20)  # A KVM that never exits must not hang the caller.
  try:
    ok = probe()
  except OSError as e:
    print("error=%s" % e)
    ok = False
  print("guest_ran=%s" % ("yes" if ok else "no"))
  sys.stdout.flush()
  if require_real and prov not in ("kvm_amd", "kvm_intel"):
    return 1
  return 0 if ok else 1


if __name__ == "__main__":
  sys.exit(main())
