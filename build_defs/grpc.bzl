"""cc_grpc_library: protoc + grpc_cpp_plugin from the host, through a genrule."""

load("@rules_cc//cc:defs.bzl", "cc_library")

def cc_grpc_library(name, srcs, deps = [], visibility = None):
    """Generates message and service C++ code for .proto files in this package.

    Imports are resolved from the workspace root and from /usr/include
    (for google/protobuf well-known types).
    """
    bases = [s[:-len(".proto")] for s in srcs]
    outs = []
    for b in bases:
        outs += [b + ".pb.h", b + ".pb.cc", b + ".grpc.pb.h", b + ".grpc.pb.cc"]
    native.genrule(
        name = name + "_codegen",
        srcs = srcs,
        outs = outs,
        cmd = " ".join([
            "/usr/bin/protoc",
            "-I.",
            "-I/usr/include",
            "--cpp_out=$(GENDIR)",
            "--grpc_out=$(GENDIR)",
            "--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin",
            "$(SRCS)",
        ]),
    )
    cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + ["@system//:grpcpp"],
        visibility = visibility,
    )
