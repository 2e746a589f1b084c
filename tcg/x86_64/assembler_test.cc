#include "tcg/x86_64/assembler.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tcg/x86_64/code_buffer.h"

namespace tcg::x86_64 {
namespace {

using Bytes = std::vector<uint8_t>;

// Permissions ("r-xs"...) of the mapping containing `addr`, from
// /proc/self/maps.
std::string MappingPerms(uintptr_t addr) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    uintptr_t lo = 0, hi = 0;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) == 3 && addr >= lo && addr < hi) {
      return perms;
    }
  }
  return "";
}

// Expected encodings were checked against GNU as/objdump (which picks
// disp8/imm8 where we always use disp32/imm32).
TEST(AssemblerTest, Encodings) {
  struct Case {
    void (*emit)(Assembler&);
    Bytes want;
  } cases[] = {
      {[](Assembler& a) { a.MovRR(RAX, RSI); }, {0x48, 0x89, 0xf0}},
      {[](Assembler& a) { a.MovRR(R13, R12); }, {0x4d, 0x89, 0xe5}},
      {[](Assembler& a) { a.MovRR(RAX, RAX, false); }, {0x89, 0xc0}},
      {[](Assembler& a) { a.MovRI(RCX, 0x12345678); }, {0xb9, 0x78, 0x56, 0x34, 0x12}},
      {[](Assembler& a) { a.MovRI(R9, static_cast<uint64_t>(-5)); },
       {0x49, 0xc7, 0xc1, 0xfb, 0xff, 0xff, 0xff}},
      {[](Assembler& a) { a.MovRI(R14, 0x123456789abcdef0); },
       {0x49, 0xbe, 0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12}},
      {[](Assembler& a) { a.Load(RAX, R12, 0x10); }, {0x49, 0x8b, 0x84, 0x24, 0x10, 0, 0, 0}},
      {[](Assembler& a) { a.Store(RSP, 0x20, RBX); }, {0x48, 0x89, 0x9c, 0x24, 0x20, 0, 0, 0}},
      {[](Assembler& a) { a.Load(R15, R13, 8, false); }, {0x45, 0x8b, 0xbd, 0x08, 0, 0, 0}},
      {[](Assembler& a) { a.Alu(kAdd, RAX, RCX); }, {0x48, 0x01, 0xc8}},
      {[](Assembler& a) { a.Alu(kSub, R10, R8, false); }, {0x45, 0x29, 0xc2}},
      {[](Assembler& a) { a.Alu(kCmp, RAX, RCX); }, {0x48, 0x39, 0xc8}},
      {[](Assembler& a) { a.AluMem(kAdd, R10, RSP, 8); },
       {0x4c, 0x03, 0x94, 0x24, 0x08, 0, 0, 0}},
      {[](Assembler& a) { a.AluMem(kXor, RAX, RSP, 0x10, false); },
       {0x33, 0x84, 0x24, 0x10, 0, 0, 0}},
      {[](Assembler& a) { a.StoreImm(R12, 0x10, -1); },
       {0x49, 0xc7, 0x84, 0x24, 0x10, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}},
      {[](Assembler& a) { a.AluImm(kAnd, RCX, 0xff, false); }, {0x81, 0xe1, 0xff, 0, 0, 0}},
      {[](Assembler& a) { a.ShiftImm(kShr, RAX, 3, false); }, {0xc1, 0xe8, 0x03}},
      {[](Assembler& a) { a.Imul(RAX, RCX); }, {0x48, 0x0f, 0xaf, 0xc1}},
      {[](Assembler& a) { a.Shift(kShl, RAX); }, {0x48, 0xd3, 0xe0}},
      {[](Assembler& a) { a.Shift(kSar, R11, false); }, {0x41, 0xd3, 0xfb}},
      {[](Assembler& a) { a.MulWide(false, RCX); }, {0x48, 0xf7, 0xe1}},
      {[](Assembler& a) { a.MulWide(true, R9); }, {0x49, 0xf7, 0xe9}},
      {[](Assembler& a) { a.Bsr(RAX, RCX); }, {0x48, 0x0f, 0xbd, 0xc1}},
      {[](Assembler& a) { a.Bsr(R10, R9, false); }, {0x45, 0x0f, 0xbd, 0xd1}},
      {[](Assembler& a) { a.Bsf(RAX, RSI); }, {0x48, 0x0f, 0xbc, 0xc6}},
      {[](Assembler& a) { a.Popcnt(RAX, RCX); }, {0xf3, 0x48, 0x0f, 0xb8, 0xc1}},
      {[](Assembler& a) { a.Popcnt(RAX, R9, false); }, {0xf3, 0x41, 0x0f, 0xb8, 0xc1}},
      {[](Assembler& a) { a.Bswap(RAX); }, {0x48, 0x0f, 0xc8}},
      {[](Assembler& a) { a.Bswap(R11); }, {0x49, 0x0f, 0xcb}},
      {[](Assembler& a) { a.DivWide(false, RCX); }, {0x48, 0xf7, 0xf1}},
      {[](Assembler& a) { a.DivWide(true, RCX, false); }, {0xf7, 0xf9}},
      {[](Assembler& a) { a.SignExtendRax(); }, {0x48, 0x99}},
      {[](Assembler& a) { a.SignExtendRax(false); }, {0x99}},
      {[](Assembler& a) { a.Neg(RAX); }, {0x48, 0xf7, 0xd8}},
      {[](Assembler& a) { a.Neg(R8, false); }, {0x41, 0xf7, 0xd8}},
      {[](Assembler& a) { a.JmpR(RAX); }, {0xff, 0xe0}},
      {[](Assembler& a) { a.AddMemImm(R13, 0x10, 5); }, {0x49, 0x81, 0x85, 0x10, 0, 0, 0, 5, 0, 0, 0}},
      {[](Assembler& a) { a.DecMem(R13, 0x20); }, {0x49, 0xff, 0x8d, 0x20, 0, 0, 0}},
      {[](Assembler& a) { a.Setcc(kL, RAX); }, {0x0f, 0x9c, 0xc0}},
      {[](Assembler& a) { a.Setcc(kB, RSI); }, {0x40, 0x0f, 0x92, 0xc6}},
      {[](Assembler& a) { a.Movzx8(RSI, RSI); }, {0x40, 0x0f, 0xb6, 0xf6}},
      {[](Assembler& a) { a.Test(RAX, RAX); }, {0x48, 0x85, 0xc0}},
      {[](Assembler& a) { a.Cmov(kNE, RAX, RCX); }, {0x48, 0x0f, 0x45, 0xc1}},
      {[](Assembler& a) { a.Movsxd(RAX, RAX); }, {0x48, 0x63, 0xc0}},
      {[](Assembler& a) { a.CallR(RAX); }, {0xff, 0xd0}},
      {[](Assembler& a) { a.Push(R12); }, {0x41, 0x54}},
      {[](Assembler& a) { a.Pop(RBX); }, {0x5b}},
      {[](Assembler& a) { a.SubRspImm(0x28); }, {0x48, 0x81, 0xec, 0x28, 0, 0, 0}},
      {[](Assembler& a) { a.CmpMem8Imm(R13, 0x40, 0); }, {0x41, 0x80, 0xbd, 0x40, 0, 0, 0, 0}},
      {[](Assembler& a) { a.Mfence(); }, {0x0f, 0xae, 0xf0}},
      {[](Assembler& a) { a.ShiftImm(kShl, RAX, 5); }, {0x48, 0xc1, 0xe0, 0x05}},
      {[](Assembler& a) { a.AluImm(kAnd, RCX, -4096); },
       {0x48, 0x81, 0xe1, 0x00, 0xf0, 0xff, 0xff}},
      {[](Assembler& a) { a.AluImm(kAdd, RCX, 7); }, {0x48, 0x81, 0xc1, 7, 0, 0, 0}},
      {[](Assembler& a) { a.CmpMem(RCX, RAX, 0); }, {0x48, 0x3b, 0x88, 0, 0, 0, 0}},
      {[](Assembler& a) { a.LoadSized(RAX, RCX, 0, 1, false); }, {0x0f, 0xb6, 0x81, 0, 0, 0, 0}},
      {[](Assembler& a) { a.LoadSized(RAX, RCX, 0, 1, true); },
       {0x48, 0x0f, 0xbe, 0x81, 0, 0, 0, 0}},
      {[](Assembler& a) { a.LoadSized(RAX, RCX, 0, 2, false); }, {0x0f, 0xb7, 0x81, 0, 0, 0, 0}},
      {[](Assembler& a) { a.LoadSized(RAX, RCX, 0, 2, true); },
       {0x48, 0x0f, 0xbf, 0x81, 0, 0, 0, 0}},
      {[](Assembler& a) { a.LoadSized(RAX, RCX, 0, 4, true); }, {0x48, 0x63, 0x81, 0, 0, 0, 0}},
      {[](Assembler& a) { a.LoadSized(RAX, RCX, 0, 4, false); }, {0x8b, 0x81, 0, 0, 0, 0}},
      {[](Assembler& a) { a.LoadSized(RAX, RCX, 0, 8, false); }, {0x48, 0x8b, 0x81, 0, 0, 0, 0}},
      {[](Assembler& a) { a.StoreSized(RCX, 0, RDX, 1); }, {0x88, 0x91, 0, 0, 0, 0}},
      {[](Assembler& a) { a.StoreSized(RCX, 0, RDX, 2); }, {0x66, 0x89, 0x91, 0, 0, 0, 0}},
      {[](Assembler& a) { a.StoreSized(RCX, 0, RDX, 4); }, {0x89, 0x91, 0, 0, 0, 0}},
      {[](Assembler& a) { a.StoreSized(RCX, 0, RDX, 8); }, {0x48, 0x89, 0x91, 0, 0, 0, 0}},
  };
  int n = 0;
  for (const Case& c : cases) {
    Assembler a;
    c.emit(a);
    EXPECT_EQ(a.bytes(), c.want) << "case " << n;
    ++n;
  }
}

TEST(AssemblerTest, BackwardJumpsReachTheirTarget) {
  Assembler a;
  a.Ret();      // offset 0
  a.JmpTo(0);   // E9 rel32 = 0 - 6
  EXPECT_EQ(a.bytes(), (Bytes{0xc3, 0xe9, 0xfa, 0xff, 0xff, 0xff}));
}

TEST(AssemblerTest, ForwardJumpsAreBound) {
  Assembler a;
  size_t site = a.Jcc(kNE);
  a.Ret();
  a.Bind(site);
  EXPECT_EQ(a.bytes(), (Bytes{0x0f, 0x85, 0x01, 0, 0, 0, 0xc3}));
}

TEST(CodeBufferTest, RunsCodeFromTheExecutableViewOnly) {
  // mov rax, rdi; add rax, rsi; ret
  Assembler a;
  a.MovRR(RAX, RDI);
  a.Alu(kAdd, RAX, RSI);
  a.Ret();
  CodeAllocator alloc(4096);
  absl::StatusOr<CodePlacement> p = alloc.Place(a.bytes());
  ASSERT_TRUE(p.ok()) << p.status();
  auto fn = reinterpret_cast<uint64_t (*)(uint64_t, uint64_t)>(const_cast<uint8_t*>(p->entry));
  EXPECT_EQ(fn(40, 2), 42u);
  // W^X: the mapping holding the code is read+execute, never writable.
  EXPECT_EQ(MappingPerms(reinterpret_cast<uintptr_t>(p->entry)), "r-xs");
  // Filling a chunk starts a new one; the old block stays valid.
  std::vector<CodePlacement> keep;
  for (int i = 0; i < 400; ++i) {
    absl::StatusOr<CodePlacement> q = alloc.Place(a.bytes());
    ASSERT_TRUE(q.ok());
    keep.push_back(*q);
  }
  EXPECT_NE(keep.front().chunk, keep.back().chunk);
  EXPECT_EQ(fn(1, 2), 3u);
}

}  // namespace
}  // namespace tcg::x86_64
