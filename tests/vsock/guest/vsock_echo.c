// A static guest program for the vsock Linux-guest tests (built with the
// host's gcc -static; runs as init's child in the x86 guest).
//
//   vsock_echo serve PORT
//       Echo server on AF_VSOCK PORT: one thread per connection, each byte
//       sent back; on EOF the write side is shut down. Runs until killed.
//   vsock_echo client CID PORT CONNS BYTES
//       CONNS parallel connections to CID:PORT, each sending BYTES of a
//       pseudo-random stream (make_block: seeded by the connection's index) while
//       reading the echo back, then SHUT_WR and read to EOF. Prints
//       "vsock_client ok=N bad=M bytes=B" (ok: the echo matched exactly).
//   vsock_echo send CID PORT BYTES
//       One connection that only sends (throughput figures).
//   vsock_echo pattern BYTES
//       BYTES of a fixed pseudo-random 1 MiB block, repeated, to stdout: the
//       net test's payload, whose md5 the host computes natively beforehand.
//   vsock_echo rawsend IFACE LEN
//       One raw broadcast frame of LEN bytes through AF_PACKET; prints the result.
//   vsock_echo hold PORT
//       Accepts vsock connections on PORT and never reads (flow control).
//   vsock_echo tcp-pattern PORT BYTES
//       Listens on TCP PORT (IPv4), accepts one connection and sends the same
//       stream as `pattern` in 1 MiB writes, then closes: the guest->host
//       transfer without busybox nc's 4 KiB pipe copies (a frame per copy).
//   vsock_echo ctl PORT
//       Benchmark server (tests/vsock/vsock_lab_bench.py): each connection
//       sends one command line and gets its answer:
//         "sink\n" + bytes to EOF  -> "sink bytes=N secs=S\n" (host->guest)
//         "source N\n"             -> N bytes, then close   (guest->host)
//         "connrate CID PORT N\n"  -> N sequential connect()+close() to
//                                     CID:PORT, "connrate n=N ok=K secs=S\n"
//         "stat\n"                 -> the clocksource and /proc/interrupts
//   vsock_echo tcp-sink PORT
//       Listens on TCP PORT, reads one connection to EOF in 1 MiB reads and
//       prints "tcp_sink bytes=N secs=S" (host->guest rate without md5sum).
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_packet.h>
#include <linux/vm_sockets.h>

static uint64_t next_byte_state(uint64_t *s) {
  // xorshift64*: the same stream on the host side (tests/vsock) and here.
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

// Connection i carries a 4096-byte block of the xorshift stream seeded
// with i, repeated (vsock_host.py makes the same bytes cheaply).
enum { kBlock = 4096 };
static void make_block(unsigned index, unsigned char *block) {
  uint64_t s = 0x9e3779b97f4a7c15ull ^ index;
  for (size_t i = 0; i < kBlock; i++) block[i] = (unsigned char)(next_byte_state(&s) >> 56);
}
static void fill(const unsigned char *block, size_t offset, unsigned char *buf, size_t n) {
  for (size_t i = 0; i < n; i++) buf[i] = block[(offset + i) % kBlock];
}

static void *echo_conn(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = write(fd, buf + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) goto out;
      off += w;
    }
  }
out:
  shutdown(fd, SHUT_WR);
  close(fd);
  return NULL;
}

static int serve(unsigned port) {
  int s = socket(AF_VSOCK, SOCK_STREAM, 0);
  struct sockaddr_vm a = {.svm_family = AF_VSOCK, .svm_port = port, .svm_cid = VMADDR_CID_ANY};
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 128) != 0) {
    perror("vsock_echo serve");
    return 1;
  }
  printf("vsock_echo: listening on port %u\n", port);
  fflush(stdout);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    pthread_t t;
    if (pthread_create(&t, NULL, echo_conn, (void *)(intptr_t)c) == 0) pthread_detach(t);
    else close(c);
  }
}

// Accepts connections on PORT and never reads them: the host writer must
// block on credit (virtio 1.2 §5.10.6.3) while the VMM's memory stays flat.
static int hold(unsigned port) {
  int s = socket(AF_VSOCK, SOCK_STREAM, 0);
  struct sockaddr_vm a = {.svm_family = AF_VSOCK, .svm_port = port, .svm_cid = VMADDR_CID_ANY};
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 16) != 0) {
    perror("vsock_echo hold");
    return 1;
  }
  for (;;) {
    int c = accept(s, NULL, NULL);
    (void)c;  // Kept open, never read.
  }
}

struct conn_job {
  unsigned cid, port, index;
  size_t bytes;
  int ok;
};

static int connect_vsock(unsigned cid, unsigned port) {
  int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
  struct sockaddr_vm a = {.svm_family = AF_VSOCK, .svm_port = port, .svm_cid = cid};
  if (fd < 0) return -1;
  // Linux waits 2 s for the peer's RESPONSE by default; the KVM lab runs
  // under TCG on a shared host, where a device thread can stall longer.
  struct timeval tv = {.tv_sec = 20, .tv_usec = 0};
  setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv, sizeof(tv));
  if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void *client_conn(void *arg) {
  struct conn_job *j = arg;
  int fd = connect_vsock(j->cid, j->port);
  if (fd < 0) {
    perror("vsock_echo connect");
    return NULL;
  }
  unsigned char block[kBlock];
  make_block(j->index, block);
  size_t sent = 0, got = 0;
  int mismatch = 0, shut = 0;
  unsigned char out[16384], in[16384], want[16384];
  size_t out_len = 0, out_off = 0;
  while (got < j->bytes) {
    struct pollfd p = {fd, POLLIN | (sent < j->bytes ? POLLOUT : 0), 0};
    if (poll(&p, 1, 30000) <= 0) break;  // 30 s without progress: give up.
    if ((p.revents & POLLOUT) && sent < j->bytes) {
      if (out_off == out_len) {
        out_len = j->bytes - sent < sizeof(out) ? j->bytes - sent : sizeof(out);
        fill(block, sent, out, out_len);
        out_off = 0;
      }
      ssize_t w = send(fd, out + out_off, out_len - out_off, MSG_DONTWAIT);
      if (w > 0) {
        out_off += (size_t)w;
        sent += (size_t)w;
      }
    }
    if (sent == j->bytes && !shut) {
      shutdown(fd, SHUT_WR);
      shut = 1;
    }
    if (p.revents & (POLLIN | POLLHUP)) {
      ssize_t n = recv(fd, in, sizeof(in), MSG_DONTWAIT);
      if (n == 0) break;
      if (n > 0) {
        fill(block, got, want, (size_t)n);
        if (!mismatch && memcmp(in, want, (size_t)n) != 0) {
          size_t k = 0;
          while (k < (size_t)n && in[k] == want[k]) k++;
          mismatch = 1;
          printf("vsock_client conn %u: first bad byte at offset %zu\n", j->index, got + k);
        }
        got += (size_t)n;
      }
    }
  }
  // The peer shuts down its side after the echo: expect EOF now.
  char extra;
  struct pollfd p = {fd, POLLIN, 0};
  int eof = poll(&p, 1, 10000) > 0 && recv(fd, &extra, 1, 0) == 0;
  j->ok = got == j->bytes && !mismatch && eof;
  if (!j->ok) {
    printf("vsock_client conn %u: sent=%zu got=%zu mismatch=%d eof=%d\n", j->index, sent, got,
           mismatch, eof);
  }
  close(fd);
  return NULL;
}

static int client(unsigned cid, unsigned port, unsigned conns, size_t bytes) {
  pthread_t *t = calloc(conns, sizeof(*t));
  struct conn_job *jobs = calloc(conns, sizeof(*jobs));
  struct timeval t0, t1;
  gettimeofday(&t0, NULL);
  for (unsigned i = 0; i < conns; i++) {
    jobs[i] = (struct conn_job){cid, port, i, bytes, 0};
    pthread_create(&t[i], NULL, client_conn, &jobs[i]);
  }
  unsigned ok = 0;
  for (unsigned i = 0; i < conns; i++) {
    pthread_join(t[i], NULL);
    ok += jobs[i].ok;
  }
  gettimeofday(&t1, NULL);
  double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_usec - t0.tv_usec) / 1e6;
  printf("vsock_client ok=%u bad=%u bytes=%zu secs=%.2f\n", ok, conns - ok, bytes * conns, secs);
  fflush(stdout);
  return ok == conns ? 0 : 1;
}

static int send_only(unsigned cid, unsigned port, size_t bytes) {
  int fd = connect_vsock(cid, port);
  if (fd < 0) {
    perror("vsock_echo send");
    return 1;
  }
  static unsigned char buf[65536];
  struct timeval t0, t1;
  gettimeofday(&t0, NULL);
  size_t sent = 0;
  while (sent < bytes) {
    size_t n = bytes - sent < sizeof(buf) ? bytes - sent : sizeof(buf);
    ssize_t w = write(fd, buf, n);
    if (w <= 0) break;
    sent += (size_t)w;
  }
  shutdown(fd, SHUT_WR);
  char c;
  while (read(fd, &c, 1) > 0) {
  }
  gettimeofday(&t1, NULL);
  double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_usec - t0.tv_usec) / 1e6;
  printf("vsock_send bytes=%zu secs=%.3f MBps=%.1f\n", sent, secs, sent / secs / 1e6);
  close(fd);
  return sent == bytes ? 0 : 1;
}

// One "ctl" command per connection (see the header); thread per connection.
static int read_line(int fd, char *line, size_t cap) {
  size_t n = 0;
  while (n + 1 < cap) {
    ssize_t r = read(fd, line + n, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    if (line[n] == '\n') break;
    n++;
  }
  line[n] = 0;
  return (int)n;
}

static double since(const struct timeval *t0) {
  struct timeval t1;
  gettimeofday(&t1, NULL);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_usec - t0->tv_usec) / 1e6;
}

static void *ctl_conn(void *arg) {
  int fd = (int)(intptr_t)arg;
  static unsigned char zeros[65536];
  char line[128], out[160];
  unsigned cid = 0, port = 0, n = 0;
  size_t bytes = 0;
  if (read_line(fd, line, sizeof(line)) < 0) goto done;
  if (strcmp(line, "sink") == 0) {
    static __thread unsigned char buf[65536];
    struct timeval t0;
    gettimeofday(&t0, NULL);
    size_t total = 0;
    for (;;) {
      ssize_t r = read(fd, buf, sizeof(buf));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      total += (size_t)r;
    }
    int len = snprintf(out, sizeof(out), "sink bytes=%zu secs=%.3f\n", total, since(&t0));
    (void)!write(fd, out, (size_t)len);
  } else if (sscanf(line, "source %zu", &bytes) == 1) {
    while (bytes > 0) {
      ssize_t w = write(fd, zeros, bytes < sizeof(zeros) ? bytes : sizeof(zeros));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      bytes -= (size_t)w;
    }
  } else if (strcmp(line, "stat") == 0) {
    // Interrupt counts per vector: the host diffs them around a transfer.
    const char *files[] = {"/sys/devices/system/clocksource/clocksource0/current_clocksource",
                           "/proc/interrupts"};
    for (size_t f = 0; f < 2; f++) {
      FILE *in = fopen(files[f], "r");
      if (in == NULL) continue;
      char b[4096];
      size_t r;
      while ((r = fread(b, 1, sizeof(b), in)) > 0) (void)!write(fd, b, r);
      fclose(in);
    }
  } else if (sscanf(line, "connrate %u %u %u", &cid, &port, &n) == 3) {
    struct timeval t0;
    gettimeofday(&t0, NULL);
    unsigned ok = 0;
    for (unsigned i = 0; i < n; i++) {
      int c = connect_vsock(cid, port);
      if (c >= 0) {
        ok++;
        close(c);
      }
    }
    int len = snprintf(out, sizeof(out), "connrate n=%u ok=%u secs=%.3f\n", n, ok, since(&t0));
    (void)!write(fd, out, (size_t)len);
  }
done:
  shutdown(fd, SHUT_WR);
  close(fd);
  return NULL;
}

static int ctl(unsigned port) {
  int s = socket(AF_VSOCK, SOCK_STREAM, 0);
  struct sockaddr_vm a = {.svm_family = AF_VSOCK, .svm_port = port, .svm_cid = VMADDR_CID_ANY};
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 128) != 0) {
    perror("vsock_echo ctl");
    return 1;
  }
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    pthread_t t;
    if (pthread_create(&t, NULL, ctl_conn, (void *)(intptr_t)c) == 0) pthread_detach(t);
    else close(c);
  }
}

static int pattern(size_t bytes) {
  enum { kPatternBlock = 1 << 20 };
  static unsigned char block[kPatternBlock];
  uint64_t s = 0x5eed5eed5eed5eedull;
  for (size_t i = 0; i < kPatternBlock; i++) block[i] = (unsigned char)(next_byte_state(&s) >> 56);
  while (bytes > 0) {
    size_t n = bytes < kPatternBlock ? bytes : kPatternBlock, off = 0;
    while (off < n) {
      ssize_t w = write(1, block + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return 1;
      off += (size_t)w;
    }
    bytes -= n;
  }
  return 0;
}

static int tcp_accept_one(unsigned port) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0) return -1;
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0) {
    perror("tcp listen");
    close(l);
    return -1;
  }
  int c = accept(l, NULL, NULL);
  close(l);
  return c;
}

static int tcp_pattern(unsigned port, size_t bytes) {
  enum { kPatternBlock = 1 << 20 };
  static unsigned char block[kPatternBlock];
  uint64_t s = 0x5eed5eed5eed5eedull;
  for (size_t i = 0; i < kPatternBlock; i++) block[i] = (unsigned char)(next_byte_state(&s) >> 56);
  int c = tcp_accept_one(port);
  if (c < 0) return 1;
  while (bytes > 0) {
    size_t n = bytes < kPatternBlock ? bytes : kPatternBlock, off = 0;
    while (off < n) {
      ssize_t w = write(c, block + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        close(c);
        return 1;
      }
      off += (size_t)w;
    }
    bytes -= n;
  }
  close(c);
  return 0;
}

static int tcp_sink(unsigned port) {
  static unsigned char buf[1 << 20];
  int c = tcp_accept_one(port);
  if (c < 0) return 1;
  struct timeval t0, t1;
  gettimeofday(&t0, NULL);
  size_t total = 0;
  for (;;) {
    ssize_t r = read(c, buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    total += (size_t)r;
  }
  gettimeofday(&t1, NULL);
  close(c);
  printf("tcp_sink bytes=%zu secs=%.3f\n", total,
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_usec - t0.tv_usec) / 1e6);
  return 0;
}

// Sends one raw Ethernet frame of LEN bytes (broadcast, EtherType 0x88b5,
// "local experimental") on IFACE through AF_PACKET and prints
// "rawsend len=LEN result=ok|<errno name>": frames above the MTU must not
// leave the guest (the guest kernel refuses them; the device drops and
// counts what a hostile driver could still post, tests/net/hostile_test).
static int rawsend(const char *iface, size_t len) {
  static unsigned char frame[65536];
  if (len < 14 || len > sizeof(frame)) return 2;
  int s = socket(AF_PACKET, SOCK_RAW, 0);
  if (s < 0) {
    perror("rawsend socket");
    return 1;
  }
  struct sockaddr_ll a;
  memset(&a, 0, sizeof(a));
  a.sll_family = AF_PACKET;
  a.sll_ifindex = (int)if_nametoindex(iface);
  a.sll_halen = 6;
  memset(a.sll_addr, 0xff, 6);
  memset(frame, 0xff, 6);
  memset(frame + 6, 0x02, 6);
  frame[12] = 0x88;
  frame[13] = 0xb5;
  for (size_t i = 14; i < len; i++) frame[i] = (unsigned char)i;
  ssize_t n = sendto(s, frame, len, 0, (struct sockaddr *)&a, sizeof(a));
  printf("rawsend len=%zu result=%s\n", len, n == (ssize_t)len ? "ok" : strerror(errno));
  close(s);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "rawsend") == 0) return rawsend(argv[2], (size_t)atol(argv[3]));
  if (argc == 4 && strcmp(argv[1], "tcp-pattern") == 0) {
    return tcp_pattern((unsigned)atoi(argv[2]), (size_t)atol(argv[3]));
  }
  if (argc == 3 && strcmp(argv[1], "hold") == 0) return hold((unsigned)atoi(argv[2]));
  if (argc == 3 && strcmp(argv[1], "tcp-sink") == 0) return tcp_sink((unsigned)atoi(argv[2]));
  if (argc == 3 && strcmp(argv[1], "pattern") == 0) return pattern((size_t)atol(argv[2]));
  if (argc == 3 && strcmp(argv[1], "ctl") == 0) return ctl((unsigned)atoi(argv[2]));
  if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve((unsigned)atoi(argv[2]));
  if (argc == 6 && strcmp(argv[1], "client") == 0) {
    return client((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]),
                  (size_t)atol(argv[5]));
  }
  if (argc == 5 && strcmp(argv[1], "send") == 0) {
    return send_only((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]), (size_t)atol(argv[4]));
  }
  fprintf(stderr, "usage: vsock_echo serve PORT | client CID PORT CONNS BYTES | send CID PORT BYTES\n");
  return 2;
}
