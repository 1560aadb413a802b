$TMPDIR = {{TMPDIR}}
{{?TMP}}$TMP = {{TMPDIR}}
{{?TEMP}}$TEMP = {{TMPDIR}}
{{#HOOK}}
if __xonsh__.env.get('XONSH_INTERACTIVE'):
    def _tmpguard_hook_for(exe, base):
        import os, stat, subprocess

        # The directories init verified (TMPDIR, and XDG_RUNTIME_DIR unless
        # --no-runtime-dir), held open (close-on-exec): the check compares
        # identity, which a directory removed and re-created, or a mount
        # over the name, fails. A TMPDIR that was the user's own symlink
        # when loaded may stay one (init keeps no symlink XDG_RUNTIME_DIR).
        held = {}
        names = ['TMPDIR'] + ([] if '{{NORT}}' else ['XDG_RUNTIME_DIR'])
        # TMPDIR on a filesystem that may hang: XDG_RUNTIME_DIR alone.
{{?REMOTE}}        names.remove('TMPDIR')

        def close():
            for name in names:
                h = held.pop(name, None)
                if h is not None:
                    os.close(h[0])

        def hold():
            close()
            for name in names:
                path = __xonsh__.env.get(name)
                if path:
                    try:
                        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
                        held[name] = (fd, os.path.islink(path))
                    except OSError:
                        pass

        # Unset (after a failed repair, or never set): nothing to check.
        def ok(name):
            path = __xonsh__.env.get(name)
            if not path:
                return True
            h = held.get(name)
            if h is None:
                return False
            try:
                a, b = os.stat(path), os.fstat(h[0])
                return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino) and (h[1] or not os.path.islink(path))
            except OSError:
                return False

        def _tmpguard_hook(**_):
            env = __xonsh__.env
            # System calls in this process only, no fork, when all is well.
            if all(ok(name) for name in names):
                return
            # The binary only when the check failed.
            args = [exe, 'init', 'xonsh'] + (['--base', base] if base else []) + [a for a in ['{{NORT}}'] if a]
            # What init prints is evaluated even when it fails (status 1: it
            # ran; not when gone or killed): it takes away what it judged
            # unsafe (XDG_RUNTIME_DIR).
            try:
                run = subprocess.run(args, stdout=subprocess.PIPE)
                code, out = run.returncode, run.stdout
            except OSError:
                code, out = 127, b''
            if code < 2 and out:
                execx(os.fsdecode(out))
            if code == 0 and out:
                return
            tmpdir = env.get('TMPDIR')
            # A TMPDIR that failed verification is not left in place (nor
            # TMP/TEMP when they hold the same value); unset, it stays quiet
            # until TMPDIR is set again.
            if tmpdir:
                for name in ('TMP', 'TEMP'):
                    if env.get(name) == tmpdir:
                        del env[name]
                del env['TMPDIR']
            hold()

        hold()
        _tmpguard_hook.close = close
        return _tmpguard_hook

    # At the prompt and before each command line; once only: a hook from an
    # earlier load (and its descriptor) is replaced.
    for _ev in (events.on_pre_prompt, events.on_precommand):
        for _h in [h for h in _ev if getattr(h, '__name__', '') == '_tmpguard_hook']:
            _ev.discard(_h)
            getattr(_h, 'close', lambda: None)()
    _tmpguard_hook = _tmpguard_hook_for({{TMPGUARD}}, {{BASE}})
    events.on_pre_prompt(_tmpguard_hook)
    events.on_precommand(_tmpguard_hook)
{{/HOOK}}
