#include "api/daemon_options.h"

#include "gtest/gtest.h"

namespace vmm::api {
namespace {

TEST(ParseDaemonOptions, Defaults) {
  absl::StatusOr<DaemonOptions> o = ParseDaemonOptions({});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->socket_path, "/run/vmmd/vmmd.sock");
  EXPECT_EQ(o->state_dir, "/var/lib/vmmd");
  EXPECT_TRUE(o->listen_tcp.empty());
}

TEST(ParseDaemonOptions, Flags) {
  absl::StatusOr<DaemonOptions> o =
      ParseDaemonOptions({"--socket=/tmp/x.sock", "--state-dir=/tmp/s", "--worker=/w", "--debug"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->socket_path, "/tmp/x.sock");
  EXPECT_EQ(o->state_dir, "/tmp/s");
  EXPECT_EQ(o->worker_binary, "/w");
  EXPECT_TRUE(o->debug_log);
  EXPECT_FALSE(ParseDaemonOptions({"--bogus=1"}).ok());
  EXPECT_FALSE(ParseDaemonOptions({"--socket=relative"}).ok());
  EXPECT_FALSE(ParseDaemonOptions({"--socket=/" + std::string(120, 'a')}).ok());
}

TEST(ParseDaemonOptions, TcpNeverWithoutMutualTls) {
  absl::StatusOr<DaemonOptions> o = ParseDaemonOptions({"--listen-tcp=127.0.0.1:7000"});
  EXPECT_TRUE(absl::IsInvalidArgument(o.status()));
  EXPECT_NE(o.status().message().find("never serves plaintext"), absl::string_view::npos);
  EXPECT_FALSE(
      ParseDaemonOptions({"--listen-tcp=127.0.0.1:7000", "--tls-cert=/c", "--tls-key=/k"}).ok());
  EXPECT_TRUE(ParseDaemonOptions({"--listen-tcp=127.0.0.1:7000", "--tls-cert=/c", "--tls-key=/k",
                                  "--tls-client-ca=/ca"})
                  .ok());
  EXPECT_FALSE(ParseDaemonOptions({"--tls-cert=/c"}).ok());
}

}  // namespace
}  // namespace vmm::api
