#include "devices/legacy/uart16550.h"

#include <string>

#include "gtest/gtest.h"

namespace vmm {
namespace {

class UartTest : public ::testing::Test {
 protected:
  UartTest()
      : irq_(std::make_shared<RecordingInterruptLine>()),
        uart_(irq_, [this](absl::string_view s) { out_.append(s.data(), s.size()); }) {}

  uint8_t In(uint8_t reg) {
    uint8_t v = 0;
    uart_.Read(reg, absl::MakeSpan(&v, 1));
    return v;
  }
  void Out(uint8_t reg, uint8_t v) { uart_.Write(reg, absl::MakeConstSpan(&v, 1)); }

  std::shared_ptr<RecordingInterruptLine> irq_;
  std::string out_;
  Uart16550 uart_;
};

TEST_F(UartTest, ResetState) {
  EXPECT_EQ(In(Uart16550::kIirFcr), 0x01);  // No interrupt, FIFOs off.
  EXPECT_EQ(In(Uart16550::kLsr), 0x60);     // THRE | TEMT.
  EXPECT_EQ(In(Uart16550::kMsr) & 0xf0, 0xb0);
  EXPECT_FALSE(irq_->level());
}

TEST_F(UartTest, TransmitGoesToOutput) {
  for (char c : std::string("hi\n")) Out(Uart16550::kRbrThrDll, c);
  EXPECT_EQ(out_, "hi\n");
}

TEST_F(UartTest, DivisorLatchDoesNotTransmit) {
  Out(Uart16550::kLcr, 0x83);  // DLAB, 8N1.
  Out(Uart16550::kRbrThrDll, 0x01);
  Out(Uart16550::kIerDlm, 0x00);
  EXPECT_EQ(In(Uart16550::kRbrThrDll), 0x01);
  EXPECT_EQ(In(Uart16550::kIerDlm), 0x00);
  Out(Uart16550::kLcr, 0x03);
  EXPECT_EQ(out_, "");
  EXPECT_EQ(In(Uart16550::kIerDlm), 0x00);  // IER, not DLM.
  EXPECT_EQ(In(Uart16550::kLcr), 0x03);
}

TEST_F(UartTest, ScratchRegister) {
  Out(Uart16550::kScr, 0x5a);
  EXPECT_EQ(In(Uart16550::kScr), 0x5a);
}

TEST_F(UartTest, ReceiveRaisesAndClearsInterrupt) {
  Out(Uart16550::kIerDlm, 0x01);  // ERBFI.
  EXPECT_FALSE(irq_->level());
  uart_.ReceiveInput("ab");
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(In(Uart16550::kIirFcr), 0x04);  // RX data available.
  EXPECT_EQ(In(Uart16550::kLsr) & 0x01, 0x01);
  EXPECT_EQ(In(Uart16550::kRbrThrDll), 'a');
  // FIFOs off: the second byte was waiting in the backlog and moves up.
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(In(Uart16550::kRbrThrDll), 'b');
  EXPECT_FALSE(irq_->level());
  EXPECT_EQ(In(Uart16550::kLsr) & 0x01, 0x00);
  EXPECT_EQ(In(Uart16550::kIirFcr), 0x01);
}

TEST_F(UartTest, FifoModeAndTimeoutIndication) {
  Out(Uart16550::kIirFcr, 0xc7);  // Enable + clear, trigger level 14.
  Out(Uart16550::kIerDlm, 0x01);
  uart_.ReceiveInput("xyz");
  // Below the trigger level: character timeout, FIFO bits set.
  EXPECT_EQ(In(Uart16550::kIirFcr), 0xcc);
  uart_.ReceiveInput(std::string(20, 'q'));
  EXPECT_EQ(In(Uart16550::kIirFcr), 0xc4);
  std::string got;
  while (In(Uart16550::kLsr) & 0x01) got.push_back(In(Uart16550::kRbrThrDll));
  EXPECT_EQ(got, "xyz" + std::string(20, 'q'));
  EXPECT_FALSE(irq_->level());
}

TEST_F(UartTest, ThreInterrupt) {
  Out(Uart16550::kIerDlm, 0x02);  // ETBEI with THR empty: immediate THRE.
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(In(Uart16550::kIirFcr), 0x02);
  // Reading IIR acknowledged it.
  EXPECT_FALSE(irq_->level());
  EXPECT_EQ(In(Uart16550::kIirFcr), 0x01);
  Out(Uart16550::kRbrThrDll, 'z');
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(irq_->rising_edges(), 2);
  Out(Uart16550::kIerDlm, 0x00);
  EXPECT_FALSE(irq_->level());
}

TEST_F(UartTest, RxBeatsThreInPriority) {
  Out(Uart16550::kIerDlm, 0x03);
  uart_.ReceiveInput("k");
  EXPECT_EQ(In(Uart16550::kIirFcr), 0x04);
  EXPECT_EQ(In(Uart16550::kRbrThrDll), 'k');
  EXPECT_EQ(In(Uart16550::kIirFcr), 0x02);
}

TEST_F(UartTest, LoopbackWiresTxToRxAndModemLines) {
  Out(Uart16550::kMcr, 0x10 | 0x01 | 0x02);     // LOOP, DTR, RTS.
  EXPECT_EQ(In(Uart16550::kMsr) & 0xf0, 0x30);  // DSR | CTS.
  Out(Uart16550::kRbrThrDll, 'L');
  EXPECT_EQ(out_, "");
  EXPECT_EQ(In(Uart16550::kLsr) & 0x01, 0x01);
  EXPECT_EQ(In(Uart16550::kRbrThrDll), 'L');
  // A second byte without reading the first overruns the 1-byte holding reg.
  Out(Uart16550::kRbrThrDll, '1');
  Out(Uart16550::kRbrThrDll, '2');
  EXPECT_EQ(In(Uart16550::kLsr) & 0x03, 0x03);
  EXPECT_EQ(In(Uart16550::kLsr) & 0x02, 0x00);  // Cleared by the read.
  Out(Uart16550::kMcr, 0x10 | 0x0c);            // OUT1, OUT2.
  uint8_t msr = In(Uart16550::kMsr);
  EXPECT_EQ(msr & 0xf0, 0xc0);  // RI | DCD.
  EXPECT_NE(msr & 0x0f, 0);     // Deltas reported.
  EXPECT_EQ(In(Uart16550::kMsr) & 0x0f, 0);
}

TEST_F(UartTest, ModemStatusInterrupt) {
  Out(Uart16550::kIerDlm, 0x08);
  Out(Uart16550::kMcr, 0x10 | 0x02);
  EXPECT_TRUE(irq_->level());
  EXPECT_EQ(In(Uart16550::kIirFcr), 0x00);
  In(Uart16550::kMsr);
  EXPECT_FALSE(irq_->level());
}

TEST_F(UartTest, HostileOffsetsAndWidths) {
  uint32_t v = 0;
  uart_.Read(6, absl::MakeSpan(reinterpret_cast<uint8_t*>(&v), 4));
  EXPECT_EQ(v >> 16, 0xffffu);  // Offsets 8 and 9 do not exist.
  uint8_t junk[4] = {1, 2, 3, 4};
  uart_.Write(7, absl::MakeConstSpan(junk, 4));
  EXPECT_EQ(In(Uart16550::kScr), 1);
}

TEST_F(UartTest, BacklogIsBounded) {
  uart_.ReceiveInput(std::string(Uart16550::kMaxBacklog + 100, 'a'));
  size_t n = 0;
  while (In(Uart16550::kLsr) & 0x01) {
    In(Uart16550::kRbrThrDll);
    ++n;
  }
  EXPECT_EQ(n, Uart16550::kMaxBacklog);
}

}  // namespace
}  // namespace vmm

namespace vmm {
namespace {

// Random guest traffic: never crashes, and the line always agrees with IIR.
TEST(UartFuzzTest, RandomAccessesKeepInvariants) {
  auto irq = std::make_shared<RecordingInterruptLine>();
  size_t out_bytes = 0;
  Uart16550 uart(irq, [&](absl::string_view s) { out_bytes += s.size(); });
  uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1103515245 + 12345;
    return (seed >> 16) & 0x7fff;
  };
  for (int i = 0; i < 200000; ++i) {
    uint8_t buf[8];
    size_t len = 1 + next() % 8;
    uint64_t offset = next() % 12;
    switch (next() % 4) {
      case 0:
        uart.Read(offset, absl::MakeSpan(buf, len));
        break;
      case 1:
        for (auto& b : buf) b = static_cast<uint8_t>(next());
        uart.Write(offset, absl::MakeConstSpan(buf, len));
        break;
      case 2:
        uart.ReceiveInput(std::string(next() % 40, static_cast<char>(next())));
        break;
      default: {
        // The line level must match what IIR reports as pending.
        bool level = irq->level();
        uint8_t iir = 0;
        uart.Read(Uart16550::kIirFcr, absl::MakeSpan(&iir, 1));
        ASSERT_EQ(level, (iir & 0x01) == 0) << "iir=" << int{iir} << " at step " << i;
        uint8_t lsr = 0;
        uart.Read(Uart16550::kLsr, absl::MakeSpan(&lsr, 1));
        ASSERT_EQ(lsr & 0x60, 0x60);  // Transmission is instantaneous.
        break;
      }
    }
  }
  EXPECT_GT(out_bytes, 0u);
}

}  // namespace
}  // namespace vmm
