"""Assembles/compiles bare-metal riscv64 test images with the cross gcc."""

RISCV_CC = "riscv64-linux-gnu-gcc"
RISCV_FLAGS = " ".join([
    "-march=rv64imac_zicsr_zifencei",
    "-mabi=lp64",
    "-mcmodel=medany",
    "-nostdlib",
    "-nostartfiles",
    "-static",
    "-fno-pie",
    "-no-pie",
    "-ffreestanding",
    "-Wl,--no-relax",
    "-Wl,--build-id=none",
    "-Wl,--no-warn-rwx-segments",
])

def riscv64_elf(name, srcs, extra_flags = ""):
    """Builds `name`.elf from `srcs` with riscv_test.h and link.ld."""
    native.genrule(
        name = name + "_elf",
        srcs = srcs + ["riscv_test.h", "link.ld"],
        outs = [name + ".elf"],
        cmd = ("%s %s %s -I$$(dirname $(location riscv_test.h)) -T $(location link.ld) " +
               "%s -o $@") % (RISCV_CC, RISCV_FLAGS, extra_flags,
                              " ".join(["$(location %s)" % s for s in srcs])),
    )
