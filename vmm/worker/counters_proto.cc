#include "vmm/worker/counters_proto.h"

namespace vmm::worker {

void CountersToProto(const MachineCounters& in, Counters* out) {
  out->Clear();
  for (const DiskCounterValues& d : in.disks) {
    DiskCounters* p = out->add_disks();
    p->set_read_requests(d.read_requests);
    p->set_write_requests(d.write_requests);
    p->set_read_bytes(d.read_bytes);
    p->set_write_bytes(d.write_bytes);
    p->set_flushes(d.flushes);
    p->set_errors(d.errors);
  }
  for (const NicCounterValues& n : in.nics) {
    NicCounterSet* p = out->add_nics();
    p->set_tap(n.tap);
    p->set_rx_packets(n.rx_packets);
    p->set_rx_bytes(n.rx_bytes);
    p->set_tx_packets(n.tx_packets);
    p->set_tx_bytes(n.tx_bytes);
    p->set_rx_dropped(n.rx_dropped);
    p->set_tx_dropped(n.tx_dropped);
    p->set_rate_limited(n.rate_limited);
  }
  if (in.has_vsock) {
    out->mutable_vsock()->set_connections(in.vsock.connections);
    out->mutable_vsock()->set_rx_bytes(in.vsock.rx_bytes);
    out->mutable_vsock()->set_tx_bytes(in.vsock.tx_bytes);
  }
}

MachineCounters CountersFromProto(const Counters& in) {
  MachineCounters out;
  for (const DiskCounters& d : in.disks()) {
    DiskCounterValues v;
    v.read_requests = d.read_requests();
    v.write_requests = d.write_requests();
    v.read_bytes = d.read_bytes();
    v.write_bytes = d.write_bytes();
    v.flushes = d.flushes();
    v.errors = d.errors();
    out.disks.push_back(v);
  }
  for (const NicCounterSet& n : in.nics()) {
    NicCounterValues v;
    v.tap = n.tap();
    v.rx_packets = n.rx_packets();
    v.rx_bytes = n.rx_bytes();
    v.tx_packets = n.tx_packets();
    v.tx_bytes = n.tx_bytes();
    v.rx_dropped = n.rx_dropped();
    v.tx_dropped = n.tx_dropped();
    v.rate_limited = n.rate_limited();
    out.nics.push_back(v);
  }
  out.has_vsock = in.has_vsock();
  out.vsock.connections = in.vsock().connections();
  out.vsock.rx_bytes = in.vsock().rx_bytes();
  out.vsock.tx_bytes = in.vsock().tx_bytes();
  return out;
}

}  // namespace vmm::worker
