"""Figure 5, binary size: what each phone puts on the device's flash, in bytes (file sizes).

Hardphone is one statically linked Rust executable (only the C runtime is dynamic: libc, libm,
libgcc_s, the loader); its figure is the release build stripped (`strip -o` to a temporary file).

baresip is a small executable plus what it loads. Three baresip figures, from narrowest to widest:
  a. /usr/bin/baresip alone (Debian ships it stripped);
  b. a + the baresip modules of the measured configuration (phones.baresip_modules: codecs,
     audio file source, menu, and the temporary uuid and account modules) + libre + librem, the
     two libraries that are baresip's SIP/RTP stack and media toolkit;
  c. every shared object each phone has mapped once started (from /proc/PID/maps: this counts
     libssl/libcrypto, libopus, ... that baresip uses for what Hardphone carries inside its own
     binary), the C runtime excepted for both (libc, libm, libgcc_s, libpthread, libdl, librt, the
     loader). Hardphone's c is its stripped binary.
The dynamic libraries each phone depends on (ldd of the executable and of each module) are listed
in the JSON details with their sizes.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from .. import net, phones, procfs
from ..context import Context
from ..proc import Processes, wait_for
from ..result import Result, Row

ID = "size"
TITLE = "5. Binary size of the stripped release build"

C_RUNTIME = re.compile(r"/(ld-linux[^/]*|libc|libm|libgcc_s|libpthread|libdl|librt|libresolv|libutil)\.so[^/]*$")
LIBRE = ["libre.so.0", "librem.so.0"]


def size(path: str | Path) -> int:
    return os.stat(os.path.realpath(path)).st_size


def ldd(path: str | Path) -> dict[str, str]:
    """The shared libraries `path` needs (recursively, as the loader resolves them): name -> path."""
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True).stdout
    libraries = {}
    for line in out.splitlines():
        match = re.match(r"\s*(\S+)\s+=>\s+(/\S+)", line)
        if match:
            libraries[match.group(1)] = os.path.realpath(match.group(2))
        else:
            match = re.match(r"\s*(/\S+)\s+\(", line)
            if match:
                libraries[os.path.basename(match.group(1))] = os.path.realpath(match.group(1))
    return libraries


def _listing(libraries: dict[str, str]) -> list[dict]:
    return [
        {"name": name, "path": path, "bytes": size(path), "c_runtime": bool(C_RUNTIME.search("/" + name))}
        for name, path in sorted(libraries.items())
    ]


def _mapped_objects(pid: int) -> list[str]:
    """The executable and shared objects a process has mapped, C runtime excepted."""
    return [
        f
        for f in procfs.mapped_files(pid)
        if (".so" in os.path.basename(f) or os.access(f, os.X_OK)) and not C_RUNTIME.search(f)
    ]


def _started_maps(ctx: Context, dir: Path) -> dict[str, list[str]]:
    """Starts each phone with the measured configuration (its registrar is a port where nothing
    listens: what is loaded does not depend on registering), reads its maps, stops it."""
    account = phones.Account("2002", "unused", net.free_port())
    maps = {}
    with Processes() as processes:
        baresip = phones.start_baresip(processes, dir / "baresip", account)
        hardphone = phones.start_hardphone(processes, ctx.hardphone, dir / "hardphone", account)
        wait_for(
            "baresip ready",
            15,
            lambda: "baresip is ready" in baresip.process.log_text() or not baresip.process.running(),
            baresip.process.log_text,
        )
        time.sleep(1.0)  # modules load before "ready"; let Hardphone reach its loop too
        for phone in (hardphone, baresip):
            if phone.process.running():
                maps[phone.name] = _mapped_objects(phone.pid)
    return maps


def run(ctx: Context) -> Result:
    dir = ctx.dir("size")
    stripped = size(ctx.hardphone)
    unstripped = size(ctx.hardphone_unstripped)

    # a. baresip's executable.
    baresip_binary = size(phones.BARESIP)

    # b. + the modules of the measured configuration + libre + librem.
    modules = phones.baresip_modules(control=False)
    module_files = [os.path.join(phones.BARESIP_MODULES, m) for kind in modules.values() for m in kind]
    baresip_libs = ldd(phones.BARESIP)
    libre_files = [baresip_libs[name] for name in LIBRE if name in baresip_libs]
    counted_b = [os.path.realpath(phones.BARESIP), *module_files, *libre_files]
    baresip_b = sum(size(f) for f in counted_b)

    # c. everything mapped at run time but the C runtime.
    maps = _started_maps(ctx, dir)
    baresip_mapped = maps.get("baresip", [])
    baresip_c = sum(size(f) for f in baresip_mapped) if baresip_mapped else None
    # Modules loaded only at start (module_tmp) are unloaded by the time the maps are read;
    # add them, they are needed to run the configuration.
    tmp_files = [os.path.join(phones.BARESIP_MODULES, m) for m in modules["module_tmp"]]
    if baresip_c is not None:
        baresip_c += sum(size(f) for f in tmp_files if f not in baresip_mapped)
    hardphone_mapped = maps.get("hardphone", [])

    # The dynamic libraries each depends on.
    module_deps: dict[str, str] = {}
    for module in module_files:
        module_deps.update(ldd(module))
    dependencies = {
        "hardphone": _listing(ldd(ctx.hardphone)),
        "baresip_executable": _listing(baresip_libs),
        "baresip_modules": _listing({k: v for k, v in module_deps.items() if k not in baresip_libs}),
    }

    rows = [
        Row(
            "size.binary",
            "Binary, stripped: Hardphone vs /usr/bin/baresip alone",
            "B",
            stripped,
            baresip_binary,
        ),
        Row(
            "size.with_modules",
            "Binary vs baresip + its loaded modules + libre + librem",
            "B",
            stripped,
            baresip_b,
            note=f"{len(module_files)} modules: " + ", ".join(m.removesuffix(".so") for k in modules.values() for m in k),
        ),
    ]
    if baresip_c is not None:
        rows.append(
            Row(
                "size.mapped",
                "All mapped code but the C runtime (libssl, libcrypto, libopus, ... counted)",
                "B",
                stripped,
                baresip_c,
            )
        )
    return Result(
        ID,
        TITLE,
        "ok",
        rows=rows,
        details={
            "hardphone_stripped_bytes": stripped,
            "hardphone_unstripped_bytes": unstripped,
            "hardphone_mapped_beyond_c_runtime": {f: size(f) for f in hardphone_mapped},
            "baresip_counted_b": {f: size(f) for f in counted_b},
            "baresip_mapped_beyond_c_runtime": {f: size(f) for f in baresip_mapped},
            "baresip_tmp_modules_added_to_c": tmp_files,
            "dependencies": dependencies,
        },
    )
