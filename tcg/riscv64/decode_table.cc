// The RV64 encodings (I, M, A, F, D, Zba/Zbb/Zbs, Zicsr, Zifencei) as data: (mask, match, operand format, handler).
// Unprivileged spec ch. 24 (RV32/64G instruction listings) and the
// privileged spec for MRET/WFI.

#include "tcg/riscv64/decode.h"
#include "tcg/riscv64/semantics.h"
#include "tcg/riscv64/semantics_bitmanip.h"
#include "tcg/riscv64/semantics_fp.h"

namespace tcg::riscv64 {
namespace {

using ir::Cond;

constexpr uint32_t kOpLoad = 0x03, kOpMiscMem = 0x0f, kOpImm = 0x13, kOpAuipc = 0x17,
                   kOpImm32 = 0x1b, kOpStore = 0x23, kOpAmo = 0x2f, kOpReg = 0x33,
                   kOpLui = 0x37, kOpReg32 = 0x3b, kOpBranch = 0x63, kOpJalr = 0x67,
                   kOpJal = 0x6f, kOpSystem = 0x73;

constexpr uint32_t kMaskOpcode = 0x7f;
constexpr uint32_t kMaskF3 = 0x707f;
constexpr uint32_t kMaskF7 = 0xfe00707f;
constexpr uint32_t kMaskF6 = 0xfc00707f;
constexpr uint32_t kMaskAmo = 0xf800707f;
constexpr uint32_t kMaskLr = 0xf9f0707f;  // rs2 must be zero
constexpr uint32_t kMaskAll = 0xffffffff;
constexpr uint32_t kMaskUnary = 0xfff0707f;  // funct12 + funct3 + opcode

// F/D (ch. 11-12): OP-FP funct7 = funct5 << 2 | fmt (0 S, 1 D); rm in
// funct3 where the op rounds; R4 ops carry fmt in bits 26:25.
constexpr uint32_t kOpLoadFp = 0x07, kOpStoreFp = 0x27, kOpFp = 0x53;
constexpr uint32_t kMaskFpRm = 0xfe00007f;      // funct7 + opcode; rm free
constexpr uint32_t kMaskFpRmRs2 = 0xfff0007f;   // ... and rs2 fixed
constexpr uint32_t kMaskFpF3 = 0xfe00707f;      // funct7 + funct3 + opcode
constexpr uint32_t kMaskFpF3Rs2 = 0xfff0707f;   // ... and rs2 fixed
constexpr uint32_t kMaskFpCvtInt = 0xffc0007f;  // rs2 in 0..3 (W, WU, L, LU)
constexpr uint32_t kMaskFma = 0x0600007f;       // fmt + opcode
constexpr uint32_t Fp(uint32_t f5, uint32_t fmt) { return (f5 << 27) | (fmt << 25) | kOpFp; }
constexpr uint32_t FpF3(uint32_t f5, uint32_t fmt, uint32_t f3) { return Fp(f5, fmt) | (f3 << 12); }
constexpr uint32_t FpRs2(uint32_t f5, uint32_t fmt, uint32_t rs2) { return Fp(f5, fmt) | (rs2 << 20); }
constexpr uint32_t Fma(uint32_t op, uint32_t fmt) { return (fmt << 25) | op; }

constexpr uint32_t F3(uint32_t f3, uint32_t op) { return (f3 << 12) | op; }
constexpr uint32_t F7(uint32_t f7, uint32_t f3, uint32_t op) { return (f7 << 25) | F3(f3, op); }
constexpr uint32_t F6(uint32_t f6, uint32_t f3, uint32_t op) { return (f6 << 26) | F3(f3, op); }
constexpr uint32_t A5(uint32_t f5, uint32_t f3) { return (f5 << 27) | F3(f3, kOpAmo); }

constexpr InsnDesc kTable[] = {
    // RV64I
    {"lui", kMaskOpcode, kOpLui, Format::kU, &Lui},
    {"auipc", kMaskOpcode, kOpAuipc, Format::kU, &Auipc},
    {"jal", kMaskOpcode, kOpJal, Format::kJ, &Jal},
    {"jalr", kMaskF3, F3(0, kOpJalr), Format::kI, &Jalr},
    {"beq", kMaskF3, F3(0, kOpBranch), Format::kB, &Branch<Cond::kEq>},
    {"bne", kMaskF3, F3(1, kOpBranch), Format::kB, &Branch<Cond::kNe>},
    {"blt", kMaskF3, F3(4, kOpBranch), Format::kB, &Branch<Cond::kLtS>},
    {"bge", kMaskF3, F3(5, kOpBranch), Format::kB, &Branch<Cond::kGeS>},
    {"bltu", kMaskF3, F3(6, kOpBranch), Format::kB, &Branch<Cond::kLtU>},
    {"bgeu", kMaskF3, F3(7, kOpBranch), Format::kB, &Branch<Cond::kGeU>},
    {"lb", kMaskF3, F3(0, kOpLoad), Format::kI, &LoadOp<0, true>},
    {"lh", kMaskF3, F3(1, kOpLoad), Format::kI, &LoadOp<1, true>},
    {"lw", kMaskF3, F3(2, kOpLoad), Format::kI, &LoadOp<2, true>},
    {"ld", kMaskF3, F3(3, kOpLoad), Format::kI, &LoadOp<3, true>},
    {"lbu", kMaskF3, F3(4, kOpLoad), Format::kI, &LoadOp<0, false>},
    {"lhu", kMaskF3, F3(5, kOpLoad), Format::kI, &LoadOp<1, false>},
    {"lwu", kMaskF3, F3(6, kOpLoad), Format::kI, &LoadOp<2, false>},
    {"sb", kMaskF3, F3(0, kOpStore), Format::kS, &StoreOp<0>},
    {"sh", kMaskF3, F3(1, kOpStore), Format::kS, &StoreOp<1>},
    {"sw", kMaskF3, F3(2, kOpStore), Format::kS, &StoreOp<2>},
    {"sd", kMaskF3, F3(3, kOpStore), Format::kS, &StoreOp<3>},
    {"addi", kMaskF3, F3(0, kOpImm), Format::kI, &AluImm<Opcode::Add64>},
    {"slti", kMaskF3, F3(2, kOpImm), Format::kI, &SetLessImm<Cond::kLtS>},
    {"sltiu", kMaskF3, F3(3, kOpImm), Format::kI, &SetLessImm<Cond::kLtU>},
    {"xori", kMaskF3, F3(4, kOpImm), Format::kI, &AluImm<Opcode::Xor64>},
    {"ori", kMaskF3, F3(6, kOpImm), Format::kI, &AluImm<Opcode::Or64>},
    {"andi", kMaskF3, F3(7, kOpImm), Format::kI, &AluImm<Opcode::And64>},
    {"slli", kMaskF6, F6(0x00, 1, kOpImm), Format::kIShift, &AluImm<Opcode::Shl64>},
    {"srli", kMaskF6, F6(0x00, 5, kOpImm), Format::kIShift, &AluImm<Opcode::Shr64>},
    {"srai", kMaskF6, F6(0x10, 5, kOpImm), Format::kIShift, &AluImm<Opcode::Sar64>},
    {"add", kMaskF7, F7(0x00, 0, kOpReg), Format::kR, &AluReg<Opcode::Add64>},
    {"sub", kMaskF7, F7(0x20, 0, kOpReg), Format::kR, &AluReg<Opcode::Sub64>},
    {"sll", kMaskF7, F7(0x00, 1, kOpReg), Format::kR, &AluReg<Opcode::Shl64>},
    {"slt", kMaskF7, F7(0x00, 2, kOpReg), Format::kR, &SetLessReg<Cond::kLtS>},
    {"sltu", kMaskF7, F7(0x00, 3, kOpReg), Format::kR, &SetLessReg<Cond::kLtU>},
    {"xor", kMaskF7, F7(0x00, 4, kOpReg), Format::kR, &AluReg<Opcode::Xor64>},
    {"srl", kMaskF7, F7(0x00, 5, kOpReg), Format::kR, &AluReg<Opcode::Shr64>},
    {"sra", kMaskF7, F7(0x20, 5, kOpReg), Format::kR, &AluReg<Opcode::Sar64>},
    {"or", kMaskF7, F7(0x00, 6, kOpReg), Format::kR, &AluReg<Opcode::Or64>},
    {"and", kMaskF7, F7(0x00, 7, kOpReg), Format::kR, &AluReg<Opcode::And64>},
    {"addiw", kMaskF3, F3(0, kOpImm32), Format::kI, &AluImmW<Opcode::Add32>},
    {"slliw", kMaskF7, F7(0x00, 1, kOpImm32), Format::kIShiftW, &AluImmW<Opcode::Shl32>},
    {"srliw", kMaskF7, F7(0x00, 5, kOpImm32), Format::kIShiftW, &AluImmW<Opcode::Shr32>},
    {"sraiw", kMaskF7, F7(0x20, 5, kOpImm32), Format::kIShiftW, &AluImmW<Opcode::Sar32>},
    {"addw", kMaskF7, F7(0x00, 0, kOpReg32), Format::kR, &AluRegW<Opcode::Add32>},
    {"subw", kMaskF7, F7(0x20, 0, kOpReg32), Format::kR, &AluRegW<Opcode::Sub32>},
    {"sllw", kMaskF7, F7(0x00, 1, kOpReg32), Format::kR, &AluRegW<Opcode::Shl32>},
    {"srlw", kMaskF7, F7(0x00, 5, kOpReg32), Format::kR, &AluRegW<Opcode::Shr32>},
    {"sraw", kMaskF7, F7(0x20, 5, kOpReg32), Format::kR, &AluRegW<Opcode::Sar32>},

    // M (ch. 7)
    {"mul", kMaskF7, F7(0x01, 0, kOpReg), Format::kR, &AluReg<Opcode::Mul64>},
    {"mulh", kMaskF7, F7(0x01, 1, kOpReg), Format::kR, &AluReg<Opcode::MulHiS64>},
    {"mulhsu", kMaskF7, F7(0x01, 2, kOpReg), Format::kR, &AluReg<Opcode::MulHiSU64>},
    {"mulhu", kMaskF7, F7(0x01, 3, kOpReg), Format::kR, &AluReg<Opcode::MulHiU64>},
    {"div", kMaskF7, F7(0x01, 4, kOpReg), Format::kR, &AluReg<Opcode::DivS64>},
    {"divu", kMaskF7, F7(0x01, 5, kOpReg), Format::kR, &AluReg<Opcode::DivU64>},
    {"rem", kMaskF7, F7(0x01, 6, kOpReg), Format::kR, &AluReg<Opcode::RemS64>},
    {"remu", kMaskF7, F7(0x01, 7, kOpReg), Format::kR, &AluReg<Opcode::RemU64>},
    {"mulw", kMaskF7, F7(0x01, 0, kOpReg32), Format::kR, &AluRegW<Opcode::Mul32>},
    {"divw", kMaskF7, F7(0x01, 4, kOpReg32), Format::kR, &AluRegW<Opcode::DivS32>},
    {"divuw", kMaskF7, F7(0x01, 5, kOpReg32), Format::kR, &AluRegW<Opcode::DivU32>},
    {"remw", kMaskF7, F7(0x01, 6, kOpReg32), Format::kR, &AluRegW<Opcode::RemS32>},
    {"remuw", kMaskF7, F7(0x01, 7, kOpReg32), Format::kR, &AluRegW<Opcode::RemU32>},

    // A (ch. 8): funct5 in bits 31:27, aq/rl in 26:25.
    {"lr.w", kMaskLr, A5(0x02, 2), Format::kAmo, &LoadReserved<2>},
    {"sc.w", kMaskAmo, A5(0x03, 2), Format::kAmo, &StoreCond<2>},
    {"amoswap.w", kMaskAmo, A5(0x01, 2), Format::kAmo, &Amo<Opcode::AtomicXchg, 2>},
    {"amoadd.w", kMaskAmo, A5(0x00, 2), Format::kAmo, &Amo<Opcode::AtomicAdd, 2>},
    {"amoxor.w", kMaskAmo, A5(0x04, 2), Format::kAmo, &Amo<Opcode::AtomicXor, 2>},
    {"amoand.w", kMaskAmo, A5(0x0c, 2), Format::kAmo, &Amo<Opcode::AtomicAnd, 2>},
    {"amoor.w", kMaskAmo, A5(0x08, 2), Format::kAmo, &Amo<Opcode::AtomicOr, 2>},
    {"amomin.w", kMaskAmo, A5(0x10, 2), Format::kAmo, &Amo<Opcode::AtomicMinS, 2>},
    {"amomax.w", kMaskAmo, A5(0x14, 2), Format::kAmo, &Amo<Opcode::AtomicMaxS, 2>},
    {"amominu.w", kMaskAmo, A5(0x18, 2), Format::kAmo, &Amo<Opcode::AtomicMinU, 2>},
    {"amomaxu.w", kMaskAmo, A5(0x1c, 2), Format::kAmo, &Amo<Opcode::AtomicMaxU, 2>},
    {"lr.d", kMaskLr, A5(0x02, 3), Format::kAmo, &LoadReserved<3>},
    {"sc.d", kMaskAmo, A5(0x03, 3), Format::kAmo, &StoreCond<3>},
    {"amoswap.d", kMaskAmo, A5(0x01, 3), Format::kAmo, &Amo<Opcode::AtomicXchg, 3>},
    {"amoadd.d", kMaskAmo, A5(0x00, 3), Format::kAmo, &Amo<Opcode::AtomicAdd, 3>},
    {"amoxor.d", kMaskAmo, A5(0x04, 3), Format::kAmo, &Amo<Opcode::AtomicXor, 3>},
    {"amoand.d", kMaskAmo, A5(0x0c, 3), Format::kAmo, &Amo<Opcode::AtomicAnd, 3>},
    {"amoor.d", kMaskAmo, A5(0x08, 3), Format::kAmo, &Amo<Opcode::AtomicOr, 3>},
    {"amomin.d", kMaskAmo, A5(0x10, 3), Format::kAmo, &Amo<Opcode::AtomicMinS, 3>},
    {"amomax.d", kMaskAmo, A5(0x14, 3), Format::kAmo, &Amo<Opcode::AtomicMaxS, 3>},
    {"amominu.d", kMaskAmo, A5(0x18, 3), Format::kAmo, &Amo<Opcode::AtomicMinU, 3>},
    {"amomaxu.d", kMaskAmo, A5(0x1c, 3), Format::kAmo, &Amo<Opcode::AtomicMaxU, 3>},

    // Zba (bit-manipulation spec v1.0.0, 2.1)
    {"add.uw", kMaskF7, F7(0x04, 0, kOpReg32), Format::kR, &AddUw},
    {"sh1add", kMaskF7, F7(0x10, 2, kOpReg), Format::kR, &ShAddT<1, false>},
    {"sh2add", kMaskF7, F7(0x10, 4, kOpReg), Format::kR, &ShAddT<2, false>},
    {"sh3add", kMaskF7, F7(0x10, 6, kOpReg), Format::kR, &ShAddT<3, false>},
    {"sh1add.uw", kMaskF7, F7(0x10, 2, kOpReg32), Format::kR, &ShAddT<1, true>},
    {"sh2add.uw", kMaskF7, F7(0x10, 4, kOpReg32), Format::kR, &ShAddT<2, true>},
    {"sh3add.uw", kMaskF7, F7(0x10, 6, kOpReg32), Format::kR, &ShAddT<3, true>},
    {"slli.uw", kMaskF6, F6(0x02, 1, kOpImm32), Format::kIShift, &SlliUw},
    // Zbb (2.2)
    {"andn", kMaskF7, F7(0x20, 7, kOpReg), Format::kR, &LogicNotT<Opcode::And64>},
    {"orn", kMaskF7, F7(0x20, 6, kOpReg), Format::kR, &LogicNotT<Opcode::Or64>},
    {"xnor", kMaskF7, F7(0x20, 4, kOpReg), Format::kR, &LogicNotT<Opcode::Xor64>},
    {"clz", kMaskUnary, 0x60001013, Format::kR, &UnaryT<Opcode::Clz64>},
    {"ctz", kMaskUnary, 0x60101013, Format::kR, &UnaryT<Opcode::Ctz64>},
    {"cpop", kMaskUnary, 0x60201013, Format::kR, &UnaryT<Opcode::Cpop64>},
    {"clzw", kMaskUnary, 0x6000101b, Format::kR, &UnaryWT<Opcode::Clz32>},
    {"ctzw", kMaskUnary, 0x6010101b, Format::kR, &UnaryWT<Opcode::Ctz32>},
    {"cpopw", kMaskUnary, 0x6020101b, Format::kR, &UnaryWT<Opcode::Cpop32>},
    {"max", kMaskF7, F7(0x05, 6, kOpReg), Format::kR, &MinMaxT<Cond::kGeS>},
    {"maxu", kMaskF7, F7(0x05, 7, kOpReg), Format::kR, &MinMaxT<Cond::kGeU>},
    {"min", kMaskF7, F7(0x05, 4, kOpReg), Format::kR, &MinMaxT<Cond::kLtS>},
    {"minu", kMaskF7, F7(0x05, 5, kOpReg), Format::kR, &MinMaxT<Cond::kLtU>},
    {"sext.b", kMaskUnary, 0x60401013, Format::kR, &SextB},
    {"sext.h", kMaskUnary, 0x60501013, Format::kR, &SextH},
    {"zext.h", kMaskUnary, 0x0800403b, Format::kR, &ZextH},
    {"rol", kMaskF7, F7(0x30, 1, kOpReg), Format::kR, &RotT<true, false, false>},
    {"ror", kMaskF7, F7(0x30, 5, kOpReg), Format::kR, &RotT<false, false, false>},
    {"rolw", kMaskF7, F7(0x30, 1, kOpReg32), Format::kR, &RotT<true, false, true>},
    {"rorw", kMaskF7, F7(0x30, 5, kOpReg32), Format::kR, &RotT<false, false, true>},
    {"rori", kMaskF6, F6(0x18, 5, kOpImm), Format::kIShift, &RotT<false, true, false>},
    {"roriw", kMaskF7, F7(0x30, 5, kOpImm32), Format::kIShiftW, &RotT<false, true, true>},
    {"orc.b", kMaskUnary, 0x28705013, Format::kR, &UnaryT<Opcode::OrcB64>},
    {"rev8", kMaskUnary, 0x6b805013, Format::kR, &UnaryT<Opcode::Bswap64>},
    // Zbs (2.4)
    {"bclr", kMaskF7, F7(0x24, 1, kOpReg), Format::kR, &SingleBitT<BitOp::kClear, false>},
    {"bclri", kMaskF6, F6(0x12, 1, kOpImm), Format::kIShift, &SingleBitT<BitOp::kClear, true>},
    {"bext", kMaskF7, F7(0x24, 5, kOpReg), Format::kR, &SingleBitT<BitOp::kExtract, false>},
    {"bexti", kMaskF6, F6(0x12, 5, kOpImm), Format::kIShift, &SingleBitT<BitOp::kExtract, true>},
    {"binv", kMaskF7, F7(0x34, 1, kOpReg), Format::kR, &SingleBitT<BitOp::kInvert, false>},
    {"binvi", kMaskF6, F6(0x1a, 1, kOpImm), Format::kIShift, &SingleBitT<BitOp::kInvert, true>},
    {"bset", kMaskF7, F7(0x14, 1, kOpReg), Format::kR, &SingleBitT<BitOp::kSet, false>},
    {"bseti", kMaskF6, F6(0x0a, 1, kOpImm), Format::kIShift, &SingleBitT<BitOp::kSet, true>},

    // F and D (ch. 11-12); fcvt.int.* / fcvt.*.int cover W, WU, L, LU
    // (rs2 0-3).
    {"flw", kMaskF3, F3(2, kOpLoadFp), Format::kI, &FpLoadT<false>},
    {"fsw", kMaskF3, F3(2, kOpStoreFp), Format::kS, &FpStoreT<false>},
    {"fmadd.s", kMaskFma, Fma(0x43, 0), Format::kR, &FpFmaT<0, false>},
    {"fmsub.s", kMaskFma, Fma(0x47, 0), Format::kR, &FpFmaT<1, false>},
    {"fnmsub.s", kMaskFma, Fma(0x4b, 0), Format::kR, &FpFmaT<2, false>},
    {"fnmadd.s", kMaskFma, Fma(0x4f, 0), Format::kR, &FpFmaT<3, false>},
    {"fadd.s", kMaskFpRm, Fp(0x00, 0), Format::kR, &FpBinaryT<FpBinOp::kAdd, false>},
    {"fsub.s", kMaskFpRm, Fp(0x01, 0), Format::kR, &FpBinaryT<FpBinOp::kSub, false>},
    {"fmul.s", kMaskFpRm, Fp(0x02, 0), Format::kR, &FpBinaryT<FpBinOp::kMul, false>},
    {"fdiv.s", kMaskFpRm, Fp(0x03, 0), Format::kR, &FpBinaryT<FpBinOp::kDiv, false>},
    {"fsqrt.s", kMaskFpRmRs2, FpRs2(0x0b, 0, 0), Format::kR, &FpSqrtT<false>},
    {"fsgnj.s", kMaskFpF3, FpF3(0x04, 0, 0), Format::kR, &FpSgnjT<SgnjOp::kCopy, false>},
    {"fsgnjn.s", kMaskFpF3, FpF3(0x04, 0, 1), Format::kR, &FpSgnjT<SgnjOp::kNeg, false>},
    {"fsgnjx.s", kMaskFpF3, FpF3(0x04, 0, 2), Format::kR, &FpSgnjT<SgnjOp::kXor, false>},
    {"fmin.s", kMaskFpF3, FpF3(0x05, 0, 0), Format::kR, &FpBinaryT<FpBinOp::kMin, false>},
    {"fmax.s", kMaskFpF3, FpF3(0x05, 0, 1), Format::kR, &FpBinaryT<FpBinOp::kMax, false>},
    {"fle.s", kMaskFpF3, FpF3(0x14, 0, 0), Format::kR, &FpBinaryT<FpBinOp::kLe, false>},
    {"flt.s", kMaskFpF3, FpF3(0x14, 0, 1), Format::kR, &FpBinaryT<FpBinOp::kLt, false>},
    {"feq.s", kMaskFpF3, FpF3(0x14, 0, 2), Format::kR, &FpBinaryT<FpBinOp::kEq, false>},
    {"fcvt.int.s", kMaskFpCvtInt, Fp(0x18, 0), Format::kR, &FpToIntT<false>},
    {"fcvt.s.int", kMaskFpCvtInt, Fp(0x1a, 0), Format::kR, &FpFromIntT<false>},
    {"fmv.x.w", kMaskFpF3Rs2, FpF3(0x1c, 0, 0), Format::kR, &FpMvToXT<false>},
    {"fclass.s", kMaskFpF3Rs2, FpF3(0x1c, 0, 1), Format::kR, &FpClassT<false>},
    {"fmv.w.x", kMaskFpF3Rs2, FpF3(0x1e, 0, 0), Format::kR, &FpMvFromXT<false>},
    {"fld", kMaskF3, F3(3, kOpLoadFp), Format::kI, &FpLoadT<true>},
    {"fsd", kMaskF3, F3(3, kOpStoreFp), Format::kS, &FpStoreT<true>},
    {"fmadd.d", kMaskFma, Fma(0x43, 1), Format::kR, &FpFmaT<0, true>},
    {"fmsub.d", kMaskFma, Fma(0x47, 1), Format::kR, &FpFmaT<1, true>},
    {"fnmsub.d", kMaskFma, Fma(0x4b, 1), Format::kR, &FpFmaT<2, true>},
    {"fnmadd.d", kMaskFma, Fma(0x4f, 1), Format::kR, &FpFmaT<3, true>},
    {"fadd.d", kMaskFpRm, Fp(0x00, 1), Format::kR, &FpBinaryT<FpBinOp::kAdd, true>},
    {"fsub.d", kMaskFpRm, Fp(0x01, 1), Format::kR, &FpBinaryT<FpBinOp::kSub, true>},
    {"fmul.d", kMaskFpRm, Fp(0x02, 1), Format::kR, &FpBinaryT<FpBinOp::kMul, true>},
    {"fdiv.d", kMaskFpRm, Fp(0x03, 1), Format::kR, &FpBinaryT<FpBinOp::kDiv, true>},
    {"fsqrt.d", kMaskFpRmRs2, FpRs2(0x0b, 1, 0), Format::kR, &FpSqrtT<true>},
    {"fsgnj.d", kMaskFpF3, FpF3(0x04, 1, 0), Format::kR, &FpSgnjT<SgnjOp::kCopy, true>},
    {"fsgnjn.d", kMaskFpF3, FpF3(0x04, 1, 1), Format::kR, &FpSgnjT<SgnjOp::kNeg, true>},
    {"fsgnjx.d", kMaskFpF3, FpF3(0x04, 1, 2), Format::kR, &FpSgnjT<SgnjOp::kXor, true>},
    {"fmin.d", kMaskFpF3, FpF3(0x05, 1, 0), Format::kR, &FpBinaryT<FpBinOp::kMin, true>},
    {"fmax.d", kMaskFpF3, FpF3(0x05, 1, 1), Format::kR, &FpBinaryT<FpBinOp::kMax, true>},
    {"fle.d", kMaskFpF3, FpF3(0x14, 1, 0), Format::kR, &FpBinaryT<FpBinOp::kLe, true>},
    {"flt.d", kMaskFpF3, FpF3(0x14, 1, 1), Format::kR, &FpBinaryT<FpBinOp::kLt, true>},
    {"feq.d", kMaskFpF3, FpF3(0x14, 1, 2), Format::kR, &FpBinaryT<FpBinOp::kEq, true>},
    {"fcvt.int.d", kMaskFpCvtInt, Fp(0x18, 1), Format::kR, &FpToIntT<true>},
    {"fcvt.d.int", kMaskFpCvtInt, Fp(0x1a, 1), Format::kR, &FpFromIntT<true>},
    {"fmv.x.d", kMaskFpF3Rs2, FpF3(0x1c, 1, 0), Format::kR, &FpMvToXT<true>},
    {"fclass.d", kMaskFpF3Rs2, FpF3(0x1c, 1, 1), Format::kR, &FpClassT<true>},
    {"fmv.d.x", kMaskFpF3Rs2, FpF3(0x1e, 1, 0), Format::kR, &FpMvFromXT<true>},
    {"fcvt.s.d", kMaskFpRmRs2, FpRs2(0x08, 0, 1), Format::kR, &FpCvtFormatT<false>},
    {"fcvt.d.s", kMaskFpRmRs2, FpRs2(0x08, 1, 0), Format::kR, &FpCvtFormatT<true>},

    // Fences (ch. 2.7, Zifencei ch. 3), system (privileged spec 3.3).
    {"fence", kMaskF3, F3(0, kOpMiscMem), Format::kFence, &Fence},
    {"fence.i", kMaskF3, F3(1, kOpMiscMem), Format::kI, &FenceI},
    {"ecall", kMaskAll, 0x00000073, Format::kNone, &Ecall},
    {"ebreak", kMaskAll, 0x00100073, Format::kNone, &Ebreak},
    {"mret", kMaskAll, 0x30200073, Format::kNone, &Mret},
    {"wfi", kMaskAll, 0x10500073, Format::kNone, &Wfi},
    {"sret", kMaskAll, 0x10200073, Format::kNone, &Sret},
    {"sfence.vma", 0xfe007fff, 0x12000073, Format::kR, &SfenceVma},

    // Zicsr (ch. 9)
    {"csrrw", kMaskF3, F3(1, kOpSystem), Format::kCsr, &Csr<CsrOp::kWrite, false>},
    {"csrrs", kMaskF3, F3(2, kOpSystem), Format::kCsr, &Csr<CsrOp::kSet, false>},
    {"csrrc", kMaskF3, F3(3, kOpSystem), Format::kCsr, &Csr<CsrOp::kClear, false>},
    {"csrrwi", kMaskF3, F3(5, kOpSystem), Format::kCsr, &Csr<CsrOp::kWrite, true>},
    {"csrrsi", kMaskF3, F3(6, kOpSystem), Format::kCsr, &Csr<CsrOp::kSet, true>},
    {"csrrci", kMaskF3, F3(7, kOpSystem), Format::kCsr, &Csr<CsrOp::kClear, true>},
};

int64_t SignExtend(uint64_t v, int bits) {
  const int shift = 64 - bits;
  return static_cast<int64_t>(v << shift) >> shift;
}

uint32_t Bits(uint32_t v, int hi, int lo) { return (v >> lo) & ((1u << (hi - lo + 1)) - 1); }

}  // namespace

absl::Span<const InsnDesc> InsnTable() { return kTable; }

const InsnDesc* Decode(uint32_t raw) {
  for (const InsnDesc& d : kTable) {
    if ((raw & d.mask) == d.match) return &d;
  }
  return nullptr;
}

void ExtractOperands(Format format, Insn& insn) {
  const uint32_t r = insn.raw;
  insn.rd = Bits(r, 11, 7);
  insn.rs1 = Bits(r, 19, 15);
  insn.rs2 = Bits(r, 24, 20);
  switch (format) {
    case Format::kR:
    case Format::kNone:
      insn.imm = 0;
      break;
    case Format::kI:
      insn.imm = SignExtend(Bits(r, 31, 20), 12);
      break;
    case Format::kIShift:
      insn.imm = Bits(r, 25, 20);
      break;
    case Format::kIShiftW:
      insn.imm = Bits(r, 24, 20);
      break;
    case Format::kS:
      insn.imm = SignExtend((Bits(r, 31, 25) << 5) | Bits(r, 11, 7), 12);
      break;
    case Format::kB:
      insn.imm = SignExtend((Bits(r, 31, 31) << 12) | (Bits(r, 7, 7) << 11) |
                                (Bits(r, 30, 25) << 5) | (Bits(r, 11, 8) << 1),
                            13);
      break;
    case Format::kU:
      insn.imm = SignExtend(r & 0xfffff000u, 32);
      break;
    case Format::kJ:
      insn.imm = SignExtend((Bits(r, 31, 31) << 20) | (Bits(r, 19, 12) << 12) |
                                (Bits(r, 20, 20) << 11) | (Bits(r, 30, 21) << 1),
                            21);
      break;
    case Format::kCsr:
    case Format::kFence:
      insn.imm = Bits(r, 31, 20);
      break;
    case Format::kAmo:
      insn.imm = Bits(r, 26, 25);  // aq = bit 1, rl = bit 0
      break;
  }
}

}  // namespace tcg::riscv64
