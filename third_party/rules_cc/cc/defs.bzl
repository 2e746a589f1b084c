"""Re-exports Bazel's native C++ rules under the @rules_cc names.

@bazel_tools loads these from @rules_cc; offline we have no rules_cc
release, and on Bazel 4 the native rules are the real implementation.
"""

cc_library = native.cc_library
cc_binary = native.cc_binary
cc_test = native.cc_test
cc_import = native.cc_import
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
cc_proto_library = native.cc_proto_library
objc_library = native.objc_library
