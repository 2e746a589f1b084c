#ifndef API_CONSOLE_REACTOR_H_
#define API_CONSOLE_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include "proto/vmm/v1/vmm.grpc.pb.h"
#include "vmm/manager/vm_manager.h"

namespace vmm::api {

// StreamConsole: relays one client to the VM's worker console. A callback
// reactor rather than a sync handler because the console must be able to
// end with OK (the VM stopped) while a read of client input is pending,
// which a sync handler can only do by cancelling its own call.
//
// The first request names the VM (and asks for replay); later requests
// carry input. Output is pumped from the worker by a thread of its own, one
// write in flight at a time. Deletes itself in OnDone().
grpc::ServerBidiReactor<v1::ConsoleRequest, v1::ConsoleResponse>* NewConsoleReactor(
    manager::VmManager* manager);

}  // namespace vmm::api

#endif  // API_CONSOLE_REACTOR_H_
