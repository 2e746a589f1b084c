#!/usr/bin/python3
"""Per-thread CPU time in the lab while guests run (issue 3 experiment).
  thread_cpu.py OUT [PERIOD]   samples /proc/*/task/*/stat every PERIOD s until
SIGTERM, then writes per thread: cpu seconds, voluntary/involuntary switches."""
import os, signal, sys, time
out, period = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
tck = os.sysconf('SC_CLK_TCK')
acc = {}   # (pid, tid) -> [name, first_ticks, last_ticks, first_nvcs, last_nvcs]
def sample():
    for pid in os.listdir('/proc'):
        if not pid.isdigit(): continue
        try: tids = os.listdir('/proc/%s/task' % pid)
        except OSError: continue
        try: pname = open('/proc/%s/comm' % pid).read().strip()
        except OSError: continue
        for tid in tids:
            try:
                st = open('/proc/%s/task/%s/stat' % (pid, tid)).read()
                sw = open('/proc/%s/task/%s/status' % (pid, tid)).read()
            except OSError: continue
            name = st[st.index('(') + 1:st.rindex(')')]
            f = st[st.rindex(')') + 2:].split()
            ticks = int(f[11]) + int(f[12])
            nv = int([l for l in sw.splitlines() if l.startswith('nonvoluntary_ctxt_switches')][0].split()[1])
            v = int([l for l in sw.splitlines() if l.startswith('voluntary_ctxt_switches')][0].split()[1])
            k = (pid, tid)
            if k not in acc: acc[k] = ['%s/%s' % (pname, name), ticks, ticks, v, v, nv, nv]
            else: acc[k][2] = ticks; acc[k][4] = v; acc[k][6] = nv
done = False
def stop(*_):
    global done; done = True
signal.signal(signal.SIGTERM, stop)
t0 = time.time()
while not done:
    sample(); time.sleep(period)
sample()
rows = sorted(acc.items(), key=lambda kv: -(kv[1][2] - kv[1][1]))
with open(out, 'w') as o:
    o.write('span %.0f s; cpu_s vol_sw invol_sw pid tid name\n' % (time.time() - t0))
    for (pid, tid), a in rows[:40]:
        o.write('%7.2f %7d %7d %6s %6s %s\n' % ((a[2] - a[1]) / tck, a[4] - a[3], a[6] - a[5], pid, tid, a[0]))
