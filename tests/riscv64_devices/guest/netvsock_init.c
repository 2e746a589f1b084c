// /init of the riscv64 virtio-net / virtio-vsock guest test
// (netvsock_daemon_test.sh), built with riscv64-linux-gnu-gcc -static. No
// shell, no busybox: it configures eth0 with ioctls, pings the host end with
// a raw ICMP socket, serves the TCP transfers itself and runs
// /bin/vsock_echo (tests/vsock/guest/vsock_echo.c) for the vsock echo.
//
// Kernel parameters (read from /proc/cmdline):
//   rvdev_mib=N      MiB per TCP direction (default 4)
//   rvdev_conns=N    guest->host vsock echo connections (default 64)
//   rvdev_bytes=N    bytes per vsock echo connection (default 32768)
//   rvdev_vsend=N    at the end, N bytes to host vsock port 7000 (figures)
// Console lines the host waits for (one per line, "KEY value ..."):
//   nic_mac=MAC, PING-OK / PING-FAILED, SERVERS-READY,
//   G2H-SENT bytes=N crc=X (what the guest sent on 5001),
//   H2G-CRC bytes=N crc=X (what the guest received on 5002),
//   vsock_client ok=N bad=M ... (vsock_echo), NET-DONE.
// TCP 5003 streams zeros to whoever connects, until they close (the
// rate-limit check). Then init waits for the host to connect to TCP port
// 5009 (its checks are over), sends the rvdev_vsend stream if asked, and
// powers off.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GUEST_IP "10.78.0.2"
#define HOST_IP "10.78.0.1"
#define NETMASK "255.255.255.0"

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
}

static void die(const char *what) {
  say("RVDEV-FATAL %s: %s\n", what, strerror(errno));
  reboot(RB_POWER_OFF);
  for (;;) pause();
}

// CRC-32 (IEEE 802.3, reflected 0xEDB88320): Python's zlib.crc32 on the host.
static uint32_t crc_table[256];
static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}
static uint32_t crc_update(uint32_t crc, const unsigned char *p, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; i++) crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static long cmdline_value(const char *key, long fallback) {
  static char buf[4096];
  int fd = open("/proc/cmdline", O_RDONLY);
  if (fd < 0) return fallback;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return fallback;
  buf[n] = 0;
  const size_t klen = strlen(key);
  for (char *p = buf; (p = strstr(p, key)) != NULL; p += klen) {
    if ((p == buf || p[-1] == ' ') && p[klen] == '=') return strtol(p + klen + 1, NULL, 0);
  }
  return fallback;
}

static void set_addr(int s, unsigned long req, const char *ifname, const char *ip) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
  struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
  sin->sin_family = AF_INET;
  inet_pton(AF_INET, ip, &sin->sin_addr);
  if (ioctl(s, req, &ifr) < 0) die(ifname);
}

static void link_up(int s, const char *ifname) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die(ifname);
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) die(ifname);
}

// lo up; eth0 = GUEST_IP/24 (the prefix route comes with the address).
static void configure_network(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) die("socket");
  link_up(s, "lo");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, IFNAMSIZ, "eth0");
  if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) die("eth0 (no virtio-net device?)");
  const unsigned char *m = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
  say("nic_mac=%02x:%02x:%02x:%02x:%02x:%02x\n", m[0], m[1], m[2], m[3], m[4], m[5]);
  set_addr(s, SIOCSIFADDR, "eth0", GUEST_IP);
  set_addr(s, SIOCSIFNETMASK, "eth0", NETMASK);
  link_up(s, "eth0");
  close(s);
}

static uint16_t icmp_checksum(const void *data, size_t n) {
  const uint8_t *p = data;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
  if (n & 1) sum += (uint32_t)p[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((uint16_t)~sum);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// ICMP echo to the host end until 3 replies or `tries` seconds pass.
static void ping_host(int tries) {
  int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (s < 0) die("raw socket");
  struct sockaddr_in dst = {.sin_family = AF_INET};
  inet_pton(AF_INET, HOST_IP, &dst.sin_addr);
  int replies = 0;
  double best = 1e9;
  for (int seq = 1; seq <= tries && replies < 3; seq++) {
    unsigned char pkt[64];
    memset(pkt, 0xa5, sizeof(pkt));
    struct icmphdr *h = (struct icmphdr *)pkt;
    h->type = ICMP_ECHO;
    h->code = 0;
    h->un.echo.id = htons(0x7276);
    h->un.echo.sequence = htons((uint16_t)seq);
    h->checksum = 0;
    h->checksum = icmp_checksum(pkt, sizeof(pkt));
    const double t0 = now_s();
    if (sendto(s, pkt, sizeof(pkt), 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
      sleep(1);  // No route / neighbour yet.
      continue;
    }
    for (;;) {
      const int left_ms = (int)((t0 + 1.0 - now_s()) * 1000);
      if (left_ms <= 0) break;
      struct pollfd pfd = {.fd = s, .events = POLLIN};
      if (poll(&pfd, 1, left_ms) <= 0) break;
      unsigned char in[256];
      ssize_t n = recv(s, in, sizeof(in), 0);
      if (n < (ssize_t)(sizeof(struct iphdr) + sizeof(struct icmphdr))) continue;
      const struct iphdr *ip = (const struct iphdr *)in;
      const struct icmphdr *r = (const struct icmphdr *)(in + ip->ihl * 4);
      if (r->type == ICMP_ECHOREPLY && r->un.echo.id == htons(0x7276) &&
          r->un.echo.sequence == htons((uint16_t)seq)) {
        replies++;
        if (now_s() - t0 < best) best = now_s() - t0;
        break;
      }
    }
  }
  close(s);
  if (replies == 3) say("PING-OK replies=3 best_rtt_ms=%.2f\n", best * 1000);
  else say("PING-FAILED replies=%d\n", replies);
}

static int listen_tcp(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) die("tcp socket");
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 4) < 0) die("tcp listen");
  return s;
}

struct transfer {
  int listen_fd;
  long bytes;  // To send (g2h); 0 for the receiver.
};

// xorshift64* bytes: a stream the host cannot predict without reading it.
static void *send_g2h(void *arg) {
  struct transfer *t = arg;
  int c = accept(t->listen_fd, NULL, NULL);
  if (c < 0) die("accept 5001");
  static unsigned char buf[1 << 16];
  uint64_t s = 0x2545F4914F6CDD1Dull ^ (uint64_t)now_s();
  uint32_t crc = 0;
  long sent = 0;
  while (sent < t->bytes) {
    size_t n = sizeof(buf);
    if ((long)n > t->bytes - sent) n = (size_t)(t->bytes - sent);
    for (size_t i = 0; i < n; i += 8) {
      s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
      uint64_t v = s * 2685821657736338717ull;
      memcpy(buf + i, &v, n - i < 8 ? n - i : 8);
    }
    crc = crc_update(crc, buf, n);
    for (size_t off = 0; off < n;) {
      ssize_t w = write(c, buf + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) die("send 5001");
      off += (size_t)w;
    }
    sent += (long)n;
  }
  close(c);
  say("G2H-SENT bytes=%ld crc=%08x\n", sent, crc);
  return NULL;
}

static void *recv_h2g(void *arg) {
  struct transfer *t = arg;
  int c = accept(t->listen_fd, NULL, NULL);
  if (c < 0) die("accept 5002");
  static unsigned char buf[1 << 16];
  uint32_t crc = 0;
  long got = 0;
  for (;;) {
    ssize_t n = read(c, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    crc = crc_update(crc, buf, (size_t)n);
    got += n;
  }
  say("H2G-CRC bytes=%ld crc=%08x\n", got, crc);
  close(c);  // The host waits for this close after its SHUT_WR.
  return NULL;
}

// Port 5003: zeros until the host closes, again and again (the rate-limit
// check measures what arrives).
static void *source_5003(void *arg) {
  const int l = *(const int *)arg;
  static unsigned char zeros[1 << 16];
  for (;;) {
    int c = accept(l, NULL, NULL);
    if (c < 0) continue;
    while (write(c, zeros, sizeof(zeros)) > 0) {
    }
    close(c);
  }
  return NULL;
}

static pid_t spawn(char *const argv[]) {
  pid_t p = fork();
  if (p == 0) {
    execv(argv[0], argv);
    say("RVDEV-FATAL exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  return p;
}

int main(void) {
  mkdir("/dev", 0755);
  mkdir("/proc", 0555);
  mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  mount("proc", "/proc", "proc", 0, NULL);
  int con = open("/dev/console", O_RDWR);
  if (con >= 0) {
    dup2(con, 0), dup2(con, 1), dup2(con, 2);
    if (con > 2) close(con);
  }
  signal(SIGPIPE, SIG_IGN);  // A host that closes first ends a write, not init.
  crc_init();
  const long mib = cmdline_value("rvdev_mib", 4);
  const long conns = cmdline_value("rvdev_conns", 64);
  const long bytes = cmdline_value("rvdev_bytes", 32768);
  const long vsend = cmdline_value("rvdev_vsend", 0);
  say("RVDEV-INIT mib=%ld conns=%ld bytes=%ld\n", mib, conns, bytes);

  configure_network();
  ping_host(60);

  struct transfer g2h = {listen_tcp(5001), mib << 20};
  struct transfer h2g = {listen_tcp(5002), 0};
  const int finish = listen_tcp(5009);
  static int source;
  source = listen_tcp(5003);
  pthread_t t1, t2, t3;
  pthread_create(&t1, NULL, send_g2h, &g2h);
  pthread_create(&t2, NULL, recv_h2g, &h2g);
  pthread_create(&t3, NULL, source_5003, &source);
  char *serve[] = {"/bin/vsock_echo", "serve", "5000", NULL};
  pid_t server = spawn(serve);
  usleep(200 * 1000);  // vsock_echo binds before the host connects.
  say("SERVERS-READY\n");

  char conns_s[16], bytes_s[24];
  snprintf(conns_s, sizeof(conns_s), "%ld", conns);
  snprintf(bytes_s, sizeof(bytes_s), "%ld", bytes);
  char *client[] = {"/bin/vsock_echo", "client", "2", "6000", conns_s, bytes_s, NULL};
  pid_t cl = spawn(client);
  int status = 0;
  waitpid(cl, &status, 0);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  say("NET-DONE\n");
  int done = accept(finish, NULL, NULL);
  kill(server, SIGKILL);
  if (vsend > 0) {
    char vsend_s[24];
    snprintf(vsend_s, sizeof(vsend_s), "%ld", vsend);
    char *send[] = {"/bin/vsock_echo", "send", "2", "7000", vsend_s, NULL};
    waitpid(spawn(send), &status, 0);
    say("VSEND-DONE\n");
  }
  if (done >= 0) close(done);
  sync();
  reboot(RB_POWER_OFF);
  for (;;) pause();
}
