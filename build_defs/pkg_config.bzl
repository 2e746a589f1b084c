"""A repository rule that turns host pkg-config modules into cc_library targets."""

def _flags(ctx, mode, modules):
    result = ctx.execute(["pkg-config", mode] + modules)
    if result.return_code != 0:
        fail("pkg-config %s %s failed (run tools/setup.sh): %s" %
             (mode, " ".join(modules), result.stderr))

    # Bazel 4's Starlark split() needs an explicit separator.
    return [f for f in result.stdout.strip().split(" ") if f]

def _quoted(items):
    return ", ".join(['"%s"' % i for i in items])

def _pkg_config_repository_impl(ctx):
    rules = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, entries in ctx.attr.libraries.items():
        # "-lfoo" entries are libraries that ship no .pc file.
        modules = [e for e in entries if not e.startswith("-l")]
        extra = [e for e in entries if e.startswith("-l")]
        cflags = [f for f in _flags(ctx, "--cflags", modules) if not f.startswith("-I/usr/include")]
        libs = extra + _flags(ctx, "--libs", modules)
        rules.append("cc_library(\n    name = \"%s\",\n    copts = [%s],\n    defines = [%s],\n    linkopts = [%s],\n)\n" % (
            name,
            _quoted([f for f in cflags if not f.startswith("-D")]),
            _quoted([f[2:] for f in cflags if f.startswith("-D")]),
            _quoted(libs),
        ))
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD", "\n".join(rules))

pkg_config_repository = repository_rule(
    implementation = _pkg_config_repository_impl,
    attrs = {"libraries": attr.string_list_dict(mandatory = True)},
    local = True,
)
