"""x86 test payloads: GNU as + ld + objcopy into flat binaries at 0x10000."""

_LIBS = [
    "//tests/guests:payload.h",
    "//tests/guests:rm_lib.inc",
    "//tests/guests:pm_lib.inc",
    "//tests/guests:lm_lib.inc",
    "//tests/guests:gdt.inc",
    "//tests/guests:page_tables.inc",
    "//tests/guests:enter_long_mode.inc",
    "//tests/guests:real_mode_entry.inc",
]

def x86_payload(name, src, defines = []):
    """Builds `<name>.bin` from `src` (a .S file), visibility public."""
    native.genrule(
        name = name,
        srcs = [src] + _LIBS,
        tools = ["//tests/guests:build_payload.sh"],
        outs = [name + ".bin"],
        cmd = "sh $(location //tests/guests:build_payload.sh) $(location %s) $@ %s" % (
            src,
            " ".join(["-D" + d for d in defines]),
        ),
        visibility = ["//visibility:public"],
    )
