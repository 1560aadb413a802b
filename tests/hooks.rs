//! Issue "Long-lived shells": the prompt hook repairs TMPDIR in real
//! interactive bash, zsh, fish, tcsh (and csh) and xonsh, at zero forks per
//! prompt when all is well. elvish and POSIX sh have no hook.
mod common;

use common::{Out, have, require, root_sandbox, sandbox};

/// The shells whose init code registers a prompt hook.
const HOOKED: [&str; 5] = ["bash", "zsh", "fish", "tcsh", "xonsh"];

fn shells_ok() -> bool {
    HOOKED.iter().all(|s| require(have(s), s))
        && require(
            std::process::Command::new(common::PYTHON)
                .args(["-c", "import prompt_toolkit, pygments"])
                .status()
                .is_ok_and(|s| s.success()),
            "python3-prompt-toolkit and python3-pygments (xonsh's interactive shell; its readline shell spins at the end of piped input)",
        )
}

/// Feed `lines` to an interactive shell of alice's on stdin, so every line
/// ends at a real prompt (bash runs PROMPT_COMMAND, zsh precmd_functions,
/// tcsh the precmd alias, xonsh on_pre_prompt). fish needs a terminal for
/// that, so its script triggers the event with `emit fish_prompt`, fish's
/// own hook mechanism. The shell's stderr goes to `$AUX/err`.
fn interactive(shell: &str, lines: &str) -> String {
    match shell {
        "bash" => format!("as alice bash --norc --noprofile -i 2>$AUX/err <<'EOS'\n{lines}\nEOS\n"),
        "zsh" => format!("as alice zsh -f -i 2>$AUX/err <<'EOS'\n{lines}\nEOS\n"),
        "fish" => {
            // One fish command list, a prompt event after each line.
            let body: String = lines
                .lines()
                .map(|l| format!("{l}\nemit fish_prompt\n"))
                .collect();
            format!(
                "as alice fish --no-config -i -c {} 2>$AUX/err\n",
                shell_quote(&body)
            )
        }
        "tcsh" | "csh" => format!("as alice {shell} -f -i 2>$AUX/err <<'EOS'\n{lines}\nEOS\n"),
        // xonsh's prompt_toolkit shell reads lines from a pipe (not from a
        // regular file; its readline shell spins at the end of input). A
        // plain prompt keeps it from running git for the prompt, and an rc
        // file from printing its first-run welcome screen.
        "xonsh" => format!(
            "echo \"\\$PROMPT = '> '\" > $AUX/home/alice/.xonshrc\n\
             cat <<'EOS' | as alice xonsh -i --shell-type prompt_toolkit 2>$AUX/err\n{lines}\nEOS\n"
        ),
        _ => unreachable!("{shell}"),
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn init_line(shell: &str) -> &'static str {
    match shell {
        "bash" => r#"eval "$("$TG" init bash)""#,
        "zsh" => r#"eval "$("$TG" init zsh)""#,
        "fish" => r#""$TG" init fish | source"#,
        "tcsh" => r#"eval "`$TG init tcsh`""#,
        "csh" => r#"eval "`$TG init csh`""#,
        "xonsh" => "execx($($TG init xonsh))",
        _ => unreachable!("{shell}"),
    }
}

/// A line every shell runs alike: `cmd` in sh, which sees the shell's
/// exported TMPDIR. (Kept free of what some of them would expand: `'`, `!`, `\`.)
fn sh(cmd: &str) -> String {
    assert!(!cmd.contains(['\'', '!', '\\']), "{cmd}");
    format!("sh -c '{cmd}'")
}

/// `n` prompts in a row.
fn prompts(shell: &str, n: usize) -> String {
    match shell {
        "fish" => {
            format!("set i 0; while test $i -lt {n}; emit fish_prompt; set i (math $i + 1); end")
        }
        _ => "\n".repeat(n),
    }
}

/// A script that runs `body` with `$AUX/res` (results written by alice's
/// shell, away from the prompts and echoes on its stdout) and `$AUX/sync`
/// (for another user to act while the shell waits), then prints the results.
fn with_results(body: &str) -> String {
    format!(
        "install -m 666 /dev/null $AUX/res\nmkdir -m 777 $AUX/sync\n{body}\nwait\ncat $AUX/err >&2\ncat $AUX/res"
    )
}

/// The value after `key` on the last result line starting with it.
fn last(out: &Out, key: &str) -> String {
    out.lines()
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or("<none>")
        .to_owned()
}

#[test]
fn removed_directory_is_recreated_at_the_next_prompt() {
    let Some(sb) = sandbox() else { return };
    if !shells_ok() || !require(have("csh"), "csh") {
        return;
    }
    // tmpguard found on PATH in a directory whose name needs quoting: the
    // hook runs it again by the same path.
    for shell in HOOKED.into_iter().chain(["csh"]) {
        let lines = format!(
            "{}\n{}\n{}",
            init_line(shell).replace("$TG", "tmpguard"),
            sh("rm -rf /tmp/alice"),
            sh("echo \"R=$TMPDIR $(stat -c %a:%U /tmp/alice)\" >> $AUX/res")
        );
        let run = interactive(shell, &lines).replacen(
            "as alice ",
            "as alice env \"PATH=$AUX/t g'x:/usr/bin:/bin\" ",
            1,
        );
        let out = sb
            .run(&with_results(&format!(
                "mkdir \"$AUX/t g'x\"; cp $TG \"$AUX/t g'x/tmpguard\"\n{run}"
            )))
            .ok();
        assert_eq!(
            last(&out, "R="),
            "/tmp/alice 700:alice",
            "{shell}: {}\n{}",
            out.stdout,
            out.stderr
        );
        assert!(
            !out.stderr.contains("Traceback") && !out.stderr.contains("Undefined"),
            "{shell}: {}",
            out.stderr
        );
    }
}

#[test]
fn resquatted_name_leads_to_a_private_fallback_never_the_attackers() {
    let Some(sb) = root_sandbox() else { return };
    if !shells_ok() {
        return;
    }
    let squats = [
        (
            "a directory",
            "as mallory mkdir -m 777 /tmp/alice; as mallory chmod 777 /tmp/alice",
        ),
        (
            "a symlink to alice's own directory",
            "as mallory ln -s /tmp/alices-own /tmp/alice",
        ),
    ];
    for shell in HOOKED {
        for (what, squat) in squats {
            // alice removes her directory and waits; mallory squats the name;
            // alice's next prompt must end with a verified private directory.
            let lines = format!(
                "{}\n{}\n{}",
                init_line(shell),
                sh(
                    "rm -rf /tmp/alice; mkdir -m 700 /tmp/alices-own; touch $AUX/sync/removed; \
                    for i in $(seq 400); do [ -e $AUX/sync/squatted ] && break; sleep 0.05; done"
                ),
                sh("echo \"R=$TMPDIR\" >> $AUX/res; stat -c S=%F:%a:%U \"$TMPDIR\"/ >> $AUX/res")
            );
            let script = format!(
                "(for i in $(seq 400); do [ -e $AUX/sync/removed ] && break; sleep 0.05; done; {squat}; touch $AUX/sync/squatted) &\n\
                 {}\nstat -c 'M=%F:%a:%U' /tmp/alice >> $AUX/res",
                interactive(shell, &lines)
            );
            let out = sb.run(&with_results(&script)).ok();
            let r = last(&out, "R=");
            assert!(
                r.starts_with("/tmp/alice."),
                "{shell}, {what}: expected the fallback, got {r:?}\n{}\n{}",
                out.stdout,
                out.stderr
            );
            assert_eq!(
                last(&out, "S="),
                "directory:700:alice",
                "{shell}, {what}: {}",
                out.stdout
            );
            // mallory's object is untouched.
            let m = if what.starts_with("a dir") {
                "directory:777:mallory"
            } else {
                "symbolic link:777:mallory"
            };
            assert_eq!(last(&out, "M="), m, "{shell}, {what}: {}", out.stdout);
        }
    }
}

#[test]
fn repair_keeps_the_base_init_was_given() {
    let Some(sb) = root_sandbox() else { return };
    if !shells_ok() {
        return;
    }
    // With --base /tmp/site, a squat at /tmp/site/alice must lead to a
    // fallback in /tmp/site, not to the default base's /tmp/alice.
    for shell in HOOKED {
        let init = init_line(shell)
            .replace(" init ", " init --base /tmp/site ")
            .replace(
                &format!("init --base /tmp/site {shell}"),
                &format!("init {shell} --base /tmp/site"),
            );
        assert!(init.contains("--base /tmp/site"), "{init}");
        let lines = format!(
            "{init}\n{}\n{}",
            sh("rm -rf /tmp/site/alice; touch $AUX/sync/removed; \
                for i in $(seq 400); do [ -e $AUX/sync/squatted ] && break; sleep 0.05; done"),
            sh("echo \"R=$TMPDIR\" >> $AUX/res")
        );
        let script = format!(
            "mkdir -m 1777 /tmp/site\n\
             (for i in $(seq 400); do [ -e $AUX/sync/removed ] && break; sleep 0.05; done; as mallory mkdir -m 777 /tmp/site/alice; touch $AUX/sync/squatted) &\n{}",
            interactive(shell, &lines)
        );
        let out = sb.run(&with_results(&script)).ok();
        let r = last(&out, "R=");
        assert!(
            r.starts_with("/tmp/site/alice."),
            "{shell}: expected a fallback in the base, got {r:?}\n{}\n{}",
            out.stdout,
            out.stderr
        );
    }
}

#[test]
fn hundred_prompts_make_no_fork_when_the_directory_is_fine() {
    let Some(sb) = sandbox() else { return };
    if !shells_ok() || !require(have("strace"), "strace") {
        return;
    }
    // A counter of the user's own, with builtins only, shows that the prompts
    // happened (and that it still runs next to ours).
    let counter = |shell: &str| match shell {
        "bash" => "n=0; PROMPT_COMMAND='((++n))'",
        "zsh" => "n=0; c() { ((++n)) }; precmd_functions=(c)",
        "fish" => "set -g n 0; function c --on-event fish_prompt; set -g n (math $n + 1); end",
        "tcsh" => "@ n = 0; alias precmd '@ n++'",
        "xonsh" => "_n = []; events.on_pre_prompt(lambda **_: _n.append(1))",
        _ => unreachable!(),
    };
    let show = |shell: &str| match shell {
        "xonsh" => "$N = str(len(_n)); echo \"P=$N\" >> $AUX/res",
        "fish" => "echo \"P=$n\" >> $AUX/res",
        _ => "echo \"P=$n\" >> $AUX/res",
    };
    // Count process-creating syscalls for 0 and for 100 prompts: the same.
    // (fish and xonsh start helper threads on their own schedule: threads are
    // not forks. A call strace shows in two parts is counted by its first.)
    let count = |shell: &str, n: usize| -> String {
        let lines = format!(
            "{}\n{}\n{}\n{}",
            counter(shell),
            init_line(shell),
            prompts(shell, n),
            show(shell)
        );
        let run = interactive(shell, &lines).replacen(
            "as alice ",
            "as alice strace -f -qq -e trace=fork,vfork,clone,clone3,execve -o $AUX/trace ",
            1,
        );
        format!(
            "{run}\necho \"{shell} {n} $(grep -E 'fork|clone|execve' $AUX/trace | grep -v resumed | grep -vc CLONE_THREAD)\""
        )
    };
    for shell in HOOKED {
        let out = sb
            .run(&with_results(&format!(
                "chmod 777 $AUX\n{}\n{}",
                count(shell, 0),
                count(shell, 100)
            )))
            .ok();
        let l = out.lines();
        let n: Vec<&str> = l
            .iter()
            .filter(|x| x.starts_with(shell))
            .map(|x| x.rsplit(' ').next().unwrap())
            .collect();
        assert_eq!(n.len(), 2, "{shell}: {}\n{}", out.stdout, out.stderr);
        assert_eq!(n[0], n[1], "{shell}: forks/execs with 0 vs 100 prompts");
        let p: usize = last(&out, "P=").parse().unwrap_or(0);
        assert!(
            p >= 100,
            "{shell}: only {p} prompts\n{}\n{}",
            out.stdout,
            out.stderr
        );
    }
}

#[test]
fn kept_job_directory_is_only_checked_for_being_a_directory() {
    let Some(sb) = sandbox() else { return };
    if !shells_ok() || !require(have("strace"), "strace") {
        return;
    }
    // A batch job's own directory (root's, open to the job) that init kept:
    // the prompts must not take it for a broken private one and run tmpguard.
    for shell in HOOKED {
        let lines = format!(
            "{}\n{}\n{}",
            init_line(shell),
            prompts(shell, 3),
            sh("echo \"T=$TMPDIR\" >> $AUX/res")
        );
        let run = interactive(shell, &lines)
            .replacen("as alice ", "as alice env SLURM_JOB_ID=1 TMPDIR=/tmp/job strace -f -qq -e trace=execve -o $AUX/trace ", 1);
        let script = format!(
            "chmod 777 $AUX; mkdir -m 777 /tmp/job\n{run}\necho \"runs=$(grep -c 'execve(\"/mnt/tg/tmpguard\"' $AUX/trace)\" >> $AUX/res"
        );
        let out = sb.run(&with_results(&script)).ok();
        assert_eq!(
            last(&out, "T="),
            "/tmp/job",
            "{shell}: {}\n{}",
            out.stdout,
            out.stderr
        );
        assert_eq!(
            last(&out, "runs="),
            "1",
            "{shell}: {}\n{}",
            out.stdout,
            out.stderr
        );
    }
}

#[test]
fn failed_repair_is_reported_once_in_a_hundred_prompts() {
    let Some(sb) = root_sandbox() else { return };
    if !shells_ok() {
        return;
    }
    for shell in HOOKED {
        // TMP is set at login, so init exports it too; TEMP stays unset.
        let lines = format!(
            "{}\n{}\n{}\n{}",
            init_line(shell),
            sh(
                "rm -rf /tmp/alice; touch $AUX/sync/removed; for i in $(seq 400); do [ -e $AUX/sync/ro ] && break; sleep 0.05; done"
            ),
            prompts(shell, 100),
            sh("echo \"R=${TMPDIR-unset} ${TMP-unset} ${TEMP-unset}\" >> $AUX/res")
        );
        let script = format!(
            "(for i in $(seq 400); do [ -e $AUX/sync/removed ] && break; sleep 0.05; done; mount -o remount,ro /tmp; touch $AUX/sync/ro) &\n\
             {}\necho \"failures=$(grep -o 'tmpguard: ' $AUX/err | wc -l)\" >> $AUX/res",
            interactive(shell, &lines).replacen("as alice ", "as alice env TMP=/tmp ", 1)
        );
        let out = sb.run(&with_results(&script)).ok();
        // init's own "created" note, then exactly one failure.
        assert_eq!(
            last(&out, "failures="),
            "2",
            "{shell}: {}\n{}",
            out.stdout,
            out.stderr
        );
        assert!(out.stderr.contains("EROFS"), "{shell}: {}", out.stderr);
        assert!(
            !out.stderr.contains("Traceback") && !out.stderr.contains("Undefined"),
            "{shell}: {}",
            out.stderr
        );
        // The unverifiable TMPDIR is not left in place, nor TMP with the same value.
        assert_eq!(
            last(&out, "R="),
            "unset unset unset",
            "{shell}: {}",
            out.stdout
        );
    }
}

#[test]
fn existing_hooks_still_run_and_init_twice_registers_once() {
    let Some(sb) = sandbox() else { return };
    if !shells_ok() {
        return;
    }
    // Each user's hook appends USER-HOOK to the results; it must still do so
    // at a prompt after init has run (twice).
    let cases = [
        (
            "bash",
            "set -u\nPROMPT_COMMAND='echo USER-HOOK >> $AUX/res'",
            r#"echo "PC=$PROMPT_COMMAND" | tr '\n' ' ' >> $AUX/res; echo >> $AUX/res"#,
        ),
        (
            "bash",
            "set -u\nPROMPT_COMMAND=('echo USER-HOOK >> $AUX/res')",
            r#"echo "PC=${PROMPT_COMMAND[*]}" >> $AUX/res"#,
        ),
        (
            "zsh",
            "set -u\nprecmd_functions=(userhook); userhook() { echo USER-HOOK >> $AUX/res; }",
            r#"echo "PC=$precmd_functions" >> $AUX/res"#,
        ),
        (
            "fish",
            "function userhook --on-event fish_prompt; echo USER-HOOK >> $AUX/res; end",
            r#"echo "PC="(functions -a | string match '*hook*' | string join ' ') >> $AUX/res"#,
        ),
        (
            "tcsh",
            "alias precmd 'echo USER-HOOK >> $AUX/res'",
            r#"echo "PC=`alias precmd`" >> $AUX/res"#,
        ),
        (
            "xonsh",
            "events.on_pre_prompt(lambda **_: print('USER-HOOK', file=open($AUX + '/res', 'a')))",
            "$PC = ' '.join(getattr(h, '__name__', '?') for h in events.on_pre_prompt); echo \"PC=$PC\" >> $AUX/res",
        ),
    ];
    for (shell, pre, show) in cases {
        let lines = format!(
            "{pre}\n{init}\n{init}\n{}\n{show}",
            sh("echo INIT-DONE >> $AUX/res"),
            init = init_line(shell)
        );
        let out = sb.run(&with_results(&interactive(shell, &lines))).ok();
        let after: Vec<&str> = out
            .lines()
            .into_iter()
            .skip_while(|l| *l != "INIT-DONE")
            .collect();
        assert!(
            after.contains(&"USER-HOOK"),
            "{shell}: the user's hook no longer runs: {}\n{}",
            out.stdout,
            out.stderr
        );
        let pc = last(&out, "PC=");
        assert_eq!(pc.matches("tmpguard_hook").count(), 1, "{shell}: {pc}");
        assert!(
            !out.stderr.contains("unbound") && !out.stderr.contains("parameter not set"),
            "{shell}: {}",
            out.stderr
        );
    }
    // The command's status survives the hook: bash PROMPT_COMMAND sees it,
    // and so does the next tcsh command line.
    let lines = format!(
        "{}\nPROMPT_COMMAND+=$'\\n''echo \"st=$?\" >> $AUX/res'\n(exit 3)\ntrue",
        init_line("bash")
    );
    let out = sb.run(&with_results(&interactive("bash", &lines))).ok();
    assert!(out.lines().contains(&"st=3"), "{}", out.stdout);
    let lines = format!(
        "{}\n(exit 3)\necho \"st=$status\" >> $AUX/res",
        init_line("tcsh")
    );
    let out = sb.run(&with_results(&interactive("tcsh", &lines))).ok();
    assert_eq!(last(&out, "st="), "3", "{}", out.stdout);
}

#[test]
fn non_interactive_and_no_hook_register_nothing() {
    let Some(sb) = sandbox() else { return };
    if !shells_ok() {
        return;
    }
    let out = sb
        .run(
            r#"as alice bash -c 'eval "$("$TG" init bash)"; echo "b=${PROMPT_COMMAND-none} $(type -t __tmpguard_hook || echo nofn)"'
as alice zsh -f -c 'eval "$("$TG" init zsh)"; echo "z=${precmd_functions-none}"'
as alice fish --no-config -c '"$TG" init fish | source; functions -q __tmpguard_hook; and echo f=hook; or echo f=none'
echo 'eval "`$TG init tcsh`"; echo "t=`alias precmd``alias __tmpguard_hook`"' > $AUX/rc.csh
as alice tcsh -f $AUX/rc.csh
as alice tcsh -f -c 'eval "`$TG init tcsh`"; echo "c=`alias precmd``alias __tmpguard_hook`"'
as alice xonsh --no-rc -c 'execx($($TG init xonsh)); print("x=" + " ".join(h.__name__ for h in events.on_pre_prompt))'"#,
        )
        .ok();
    assert_eq!(
        out.lines(),
        ["b=none nofn", "z=none", "f=none", "t=", "c=", "x="]
    );
    for (shell, init) in [
        ("bash", r#"eval "$("$TG" init bash --no-hook)""#),
        ("tcsh", r#"eval "`$TG init tcsh --no-hook`""#),
    ] {
        let show = if shell == "bash" {
            r#"echo "n=${PROMPT_COMMAND-none}" >> $AUX/res"#
        } else {
            r#"echo "n=`alias precmd`" >> $AUX/res"#
        };
        let out = sb
            .run(&with_results(&interactive(
                shell,
                &format!("{init}\n{show}"),
            )))
            .ok();
        assert_eq!(
            last(&out, "n="),
            if shell == "bash" { "none" } else { "" },
            "{shell}: {}",
            out.stdout
        );
    }
    let lines = "execx($($TG init xonsh --no-hook))\n$PC = ' '.join(h.__name__ for h in events.on_pre_prompt); echo \"n=$PC\" >> $AUX/res";
    let out = sb.run(&with_results(&interactive("xonsh", lines))).ok();
    assert_eq!(last(&out, "n="), "", "xonsh: {}", out.stdout);
}
