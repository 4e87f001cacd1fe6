# tsbcc bcc-compat measurement hook (written for tsbcc).
#
# Put on PYTHONPATH of a BCC program run by scripts/bcc-compat/measure.py. When BCC_COMPAT_OUT
# is set, it wraps BCC's Python bindings (python3-bpfcc) so that every BPF() module records the
# C text and cflags exactly as BCC receives them, whether BCC compiled it, and every function
# BCC loaded (name, program type, attach type, result). attach_* calls only load the function
# (this measures compiling and loading, never attaching). In "tool" mode the program is ended
# where it would start its endless event loop (sleep, perf_buffer_poll, trace_print ...).
# BPF.support_kfunc() answers False unless BCC_COMPAT_KFUNC=1 (see below).
import os

_OUT = os.environ.get("BCC_COMPAT_OUT")


def _install():
    import fcntl
    import json
    import sys
    import time
    import uuid

    try:
        import bcc
        from bcc import BPF
        from bcc.libbcc import lib
    except Exception:  # python3-bpfcc missing: nothing to measure
        return

    import ctypes as ct

    lib.bpf_table_name.restype = ct.c_char_p
    lib.bpf_table_name.argtypes = [ct.c_void_p, ct.c_ulonglong]
    target = os.environ.get("BCC_COMPAT_TARGET", sys.argv[0] if sys.argv else "?")
    tool_mode = os.environ.get("BCC_COMPAT_MODE") == "tool"
    state = {"modules": 0}

    def emit(rec):
        rec["target"] = target
        rec["pid"] = os.getpid()
        line = json.dumps(rec) + "\n"
        with open(_OUT, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(line)
            fcntl.flock(f, fcntl.LOCK_UN)

    def s(v):
        if v is None:
            return None
        if isinstance(v, bytes):
            return v.decode("utf-8", "replace")
        return str(v)

    orig_init = BPF.__init__
    orig_load = BPF.load_func

    # USDT: which probe each handler is enabled for, and a copy of the traced binary (the
    # process or file is gone when tsbcc checks the module), so the check can pass
    # `--usdt COPY@probe=FN` as BCC got `USDT(pid=...).enable_probe(probe, fn_name)`
    from bcc import USDT
    orig_enable = USDT.enable_probe

    def enable_probe(self, probe, fn_name):
        self.__dict__.setdefault("_compat_probes", []).append([s(probe), s(fn_name)])
        return orig_enable(self, probe, fn_name)

    USDT.enable_probe = enable_probe

    def keep_binary(u):
        import hashlib
        import shutil
        pid, path = getattr(u, "pid", None), s(getattr(u, "path", None))
        src = path if path else ("/proc/%d/exe" % pid if pid else None)
        if not src:
            return None
        try:
            with open(src, "rb") as f:
                data = f.read()
        except OSError:
            return None
        where = os.path.join(os.path.dirname(_OUT), "usdt")
        os.makedirs(where, exist_ok=True)
        dst = os.path.join(where, hashlib.sha256(data).hexdigest()[:16])
        if not os.path.exists(dst):
            with open(dst + ".tmp", "wb") as f:
                f.write(data)
            shutil.copymode(src, dst + ".tmp")
            os.rename(dst + ".tmp", dst)
        return dst

    def init(self, src_file=b"", hdr_file=b"", text=None, debug=0, cflags=[], usdt_contexts=[], *a, **kw):
        mid = uuid.uuid4().hex
        self._compat_id = mid
        path = None
        body = text
        if src_file:
            try:
                path = BPF._find_file(bcc.utils._assert_is_bytes(src_file))
                with open(path, "rb") as f:
                    body = f.read()
            except Exception as e:  # BCC raises the same below
                path = src_file
                body = None
        usdt = []
        for u in usdt_contexts or []:
            usdt.append({"path": s(getattr(u, "path", None)), "pid": getattr(u, "pid", None),
                         "probes": getattr(u, "_compat_probes", []), "binary": keep_binary(u)})
        emit({
            "event": "module",
            "id": mid,
            "text": s(body),
            "src_file": s(path),
            "cflags": [s(c) for c in cflags],
            "usdt": usdt,
            "cwd": os.getcwd(),
        })
        state["modules"] += 1
        # clang's diagnostics go to fd 2: keep a copy for the record
        import tempfile
        sys.stderr.flush()
        saved = os.dup(2)
        with tempfile.TemporaryFile() as err:
            os.dup2(err.fileno(), 2)
            try:
                orig_init(self, src_file, hdr_file, text, debug, cflags, usdt_contexts, *a, **kw)
                failure = None
            except BaseException as e:
                failure = e
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                err.seek(0)
                diagnostics = err.read().decode("utf-8", "replace")
        if diagnostics:
            sys.stderr.write(diagnostics)
        if failure is not None:
            compiled = bool(getattr(self, "module", None))
            emit({"event": "compiled", "id": mid, "ok": compiled, "diagnostics": diagnostics[-4000:],
                  "error": "%s: %s" % (type(failure).__name__, failure), "functions": [], "tables": []})
            raise failure
        funcs = [s(lib.bpf_function_name(self.module, i)) for i in range(lib.bpf_num_functions(self.module))]
        tables = [s(lib.bpf_table_name(self.module, i)) for i in range(lib.bpf_num_tables(self.module))]
        emit({"event": "compiled", "id": mid, "ok": True, "error": None, "functions": funcs, "tables": tables})

    def load_func(self, func_name, prog_type, device=None, attach_type=-1):
        name = bcc.utils._assert_is_bytes(func_name)
        if name in getattr(self, "funcs", {}):
            return self.funcs[name]
        rec = {"event": "load", "id": getattr(self, "_compat_id", None), "name": s(name),
               "type": int(prog_type), "attach_type": int(attach_type)}
        try:
            fn = orig_load(self, func_name, prog_type, device, attach_type)
        except BaseException as e:
            rec.update(ok=False, error="%s: %s" % (type(e).__name__, e))
            emit(rec)
            raise
        rec.update(ok=True, error=None)
        emit(rec)
        return fn

    BPF.__init__ = init
    BPF.load_func = load_func

    # attach_* only load (what they load is what BCC would attach)
    import inspect

    def loader(method, prefix, prog_type):
        sig = inspect.signature(getattr(BPF, method))

        def attach(self, *a, **kw):
            try:
                fn = sig.bind(self, *a, **kw).arguments.get("fn_name", b"")
            except TypeError:
                fn = kw.get("fn_name", b"")
            fn = bcc.utils._assert_is_bytes(fn)
            if prefix and not fn.startswith(prefix):
                fn = prefix + fn
            if fn:
                self.load_func(fn, prog_type)
        setattr(BPF, method, attach)

    for method, prefix, prog_type in (
        ("attach_kprobe", None, BPF.KPROBE),
        ("attach_kretprobe", None, BPF.KPROBE),
        ("attach_uprobe", None, BPF.KPROBE),
        ("attach_uretprobe", None, BPF.KPROBE),
        ("attach_tracepoint", None, BPF.TRACEPOINT),
        ("attach_raw_tracepoint", None, BPF.RAW_TRACEPOINT),
        ("attach_perf_event", None, BPF.PERF_EVENT),
        ("attach_perf_event_raw", None, BPF.PERF_EVENT),
        ("attach_kfunc", b"kfunc__", BPF.TRACING),
        ("attach_kretfunc", b"kretfunc__", BPF.TRACING),
        ("attach_lsm", b"lsm__", BPF.LSM),
    ):
        loader(method, prefix, prog_type)

    if os.environ.get("BCC_COMPAT_KFUNC") != "1":
        # BCC's kfunc detection (a kernel symbol) says yes here, but this kernel refuses
        # trampolines (EPERM): tools then pick their kprobe variants, as on such kernels
        BPF.support_kfunc = staticmethod(lambda: False)

    # the program reached its event loop: everything it loads is loaded. Tools end there;
    # tests get an error from the wait (nothing is attached, no event would come) and go on.
    def stop(*a, **kw):
        if state["modules"]:
            sys.stdout.flush()
            raise SystemExit(0)
        return orig_sleep(*a, **kw)

    def no_events(*a, **kw):
        raise RuntimeError("bcc-compat: nothing is attached, no event will come")

    orig_sleep = time.sleep
    if tool_mode:
        time.sleep = stop
        builtins_input = stop
        import builtins
        builtins.input = builtins_input
    for m in ("perf_buffer_poll", "ring_buffer_poll", "ring_buffer_consume", "trace_print",
              "trace_fields", "trace_readline", "kprobe_poll"):
        setattr(BPF, m, stop if tool_mode else no_events)

if _OUT:
    _install()
