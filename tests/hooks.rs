//! Issue "Long-lived shells": the prompt hook repairs TMPDIR in real
//! interactive bash, zsh and fish, at zero forks per prompt when all is well.
mod common;

use common::{have, require, sandbox, Sandbox};

fn shells_ok() -> bool {
    ["bash", "zsh", "fish"].iter().all(|s| require(have(s), s))
}

/// Feed `lines` to an interactive shell of alice's on stdin, so every line
/// ends at a real prompt (bash runs PROMPT_COMMAND, zsh precmd_functions).
/// fish needs a terminal for that, so its script triggers the event with
/// `emit fish_prompt`, fish's own hook mechanism.
fn interactive(shell: &str, lines: &str) -> String {
    match shell {
        "bash" => format!("as alice bash --norc --noprofile -i 2>$AUX/err <<'EOS'\n{lines}\nEOS\n"),
        "zsh" => format!("as alice zsh -f -i 2>$AUX/err <<'EOS'\n{lines}\nEOS\n"),
        "fish" => {
            // One fish command list, a prompt event after each line.
            let body: String = lines.lines().map(|l| format!("{l}\nemit fish_prompt\n")).collect();
            format!("as alice fish --no-config -i -c {} 2>$AUX/err\n", shell_quote(&body))
        }
        _ => unreachable!(),
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn init_line(shell: &str) -> &'static str {
    match shell {
        "bash" => r#"eval "$("$TG" init bash)""#,
        "zsh" => r#"eval "$("$TG" init zsh)""#,
        _ => r#""$TG" init fish | source"#,
    }
}

fn sandbox_with_sync() -> Option<Sandbox> {
    sandbox()
}

#[test]
fn removed_directory_is_recreated_at_the_next_prompt() {
    let Some(sb) = sandbox_with_sync() else { return };
    if !shells_ok() {
        return;
    }
    for shell in ["bash", "zsh", "fish"] {
        let lines = format!(
            "{}\nrm -rf /tmp/alice\necho \"R=$TMPDIR $(stat -c %a:%U /tmp/alice)\"",
            init_line(shell)
        );
        let out = sb.run(&format!("{}\ncat $AUX/err >&2", interactive(shell, &lines))).ok();
        assert!(out.stdout.contains("R=/tmp/alice 700:alice"), "{shell}: {}\n{}", out.stdout, out.stderr);
    }
}

#[test]
fn resquatted_name_leads_to_a_private_fallback_never_the_attackers() {
    let Some(sb) = sandbox() else { return };
    if !shells_ok() {
        return;
    }
    let squats = [
        ("a directory", "as mallory mkdir -m 777 /tmp/alice; as mallory chmod 777 /tmp/alice"),
        ("a symlink to alice's own directory", "as mallory ln -s /tmp/alices-own /tmp/alice"),
    ];
    for shell in ["bash", "zsh", "fish"] {
        for (what, squat) in squats {
            // alice removes her directory and waits; mallory squats the name;
            // alice's next prompt must end with a verified private directory.
            let lines = format!(
                "{init}\nrm -rf /tmp/alice; mkdir -m 700 /tmp/alices-own; touch $AUX/sync/removed; sh -c 'for i in $(seq 400); do [ -e $AUX/sync/squatted ] && break; sleep 0.05; done'\n\
                 echo \"R=$TMPDIR\"; stat -c 'S=%F:%a:%U' \"$TMPDIR\"/",
                init = init_line(shell)
            );
            let script = format!(
                "mkdir -m 777 $AUX/sync\n(for i in $(seq 400); do [ -e $AUX/sync/removed ] && break; sleep 0.05; done; {squat}; touch $AUX/sync/squatted) &\n\
                 {}\nwait\ncat $AUX/err >&2\nstat -c 'M=%F:%a:%U' /tmp/alice",
                interactive(shell, &lines)
            );
            let out = sb.run(&script).ok();
            let r = out.lines().into_iter().find(|l| l.starts_with("R=")).unwrap_or_default().to_owned();
            assert!(r.starts_with("R=/tmp/alice.") , "{shell}, {what}: expected the fallback, got {r:?}\n{}\n{}", out.stdout, out.stderr);
            assert!(out.stdout.contains("S=directory:700:alice"), "{shell}, {what}: {}", out.stdout);
            // mallory's object is untouched.
            let m = if what.starts_with("a dir") { "M=directory:777:mallory" } else { "M=symbolic link:777:mallory" };
            assert!(out.stdout.contains(m), "{shell}, {what}: {}", out.stdout);
        }
    }
}

#[test]
fn hundred_prompts_make_no_fork_when_the_directory_is_fine() {
    let Some(sb) = sandbox() else { return };
    if !shells_ok() || !require(have("strace"), "strace") {
        return;
    }
    // Count process-creating syscalls for 0 and for 100 prompts: the same.
    // (fish starts helper threads on its own schedule: threads are not forks.)
    let count = |shell: &str, prompts: usize| -> String {
        let lines = match shell {
            "fish" => format!(
                "{}\nset i 0; while test $i -lt {prompts}; emit fish_prompt; set i (math $i + 1); end",
                init_line(shell)
            ),
            _ => format!("{}\n{}", init_line(shell), "\n".repeat(prompts)),
        };
        let run = interactive(shell, &lines).replacen("as alice ", "as alice strace -f -qq -e trace=fork,vfork,clone,clone3,execve -o $AUX/trace ", 1);
        format!("{run}\necho \"{shell} {prompts} $(grep -E 'fork|clone|execve' $AUX/trace | grep -vc CLONE_THREAD)\"")
    };
    for shell in ["bash", "zsh", "fish"] {
        let out = sb.run(&format!("chmod 777 $AUX\n{}\n{}", count(shell, 0), count(shell, 100))).ok();
        let l = out.lines();
        let n: Vec<&str> = l.iter().filter(|x| x.starts_with(shell)).map(|x| x.rsplit(' ').next().unwrap()).collect();
        assert_eq!(n.len(), 2, "{shell}: {}\n{}", out.stdout, out.stderr);
        assert_eq!(n[0], n[1], "{shell}: forks/execs with 0 vs 100 prompts");
    }
}

#[test]
fn failed_repair_is_reported_once_in_a_hundred_prompts() {
    let Some(sb) = sandbox() else { return };
    if !shells_ok() {
        return;
    }
    for shell in ["bash", "zsh", "fish"] {
        let hundred = match shell {
            "fish" => "set i 0; while test $i -lt 100; emit fish_prompt; set i (math $i + 1); end".to_string(),
            _ => "\n".repeat(100),
        };
        let lines = format!(
            "{}\nrm -rf /tmp/alice; touch $AUX/sync/removed; sh -c 'for i in $(seq 400); do [ -e $AUX/sync/ro ] && break; sleep 0.05; done'\n{hundred}\necho \"R=${{TMPDIR-unset}}\"",
            init_line(shell)
        );
        let script = format!(
            "mkdir -m 777 $AUX/sync\n(for i in $(seq 400); do [ -e $AUX/sync/removed ] && break; sleep 0.05; done; mount -o remount,ro /tmp; touch $AUX/sync/ro) &\n\
             {}\nwait\necho \"failures=$(grep -o 'tmpguard: ' $AUX/err | wc -l)\"\ncat $AUX/err >&2",
            interactive(shell, &lines).replace("R=${TMPDIR-unset}", if shell == "fish" { "R=$TMPDIR" } else { "R=${TMPDIR-unset}" })
        );
        let out = sb.run(&script).ok();
        // init's own "created" note, then exactly one failure.
        assert!(out.stdout.contains("failures=2"), "{shell}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains("EROFS"), "{shell}: {}", out.stderr);
        // The unverifiable TMPDIR is not left in place.
        assert!(out.stdout.contains("R=unset") || (shell == "fish" && out.stdout.contains("R=\n")) || out.stdout.lines().any(|l| l == "R="), "{shell}: {}", out.stdout);
    }
}

#[test]
fn existing_hooks_still_run_and_init_twice_registers_once() {
    let Some(sb) = sandbox() else { return };
    if !shells_ok() {
        return;
    }
    let cases = [
        ("bash", "set -u\nPROMPT_COMMAND='echo USER-HOOK'", r#"echo "PC=$PROMPT_COMMAND" | tr '\n' ' '; echo"#),
        ("bash", "set -u\nPROMPT_COMMAND=('echo USER-HOOK')", r#"echo "PC=${PROMPT_COMMAND[*]}""#),
        ("zsh", "set -u\nprecmd_functions=(userhook); userhook() { echo USER-HOOK; }", r#"echo "PC=$precmd_functions""#),
        ("fish", "function userhook --on-event fish_prompt; echo USER-HOOK; end", r#"echo "PC="(functions -a | string match '*hook*' | string join ' ')"#),
    ];
    for (shell, pre, show) in cases {
        let lines = format!("{pre}\n{init}\n{init}\nfalse\necho \"status-kept\"\n{show}", init = init_line(shell));
        let out = sb.run(&format!("{}\ncat $AUX/err >&2", interactive(shell, &lines))).ok();
        assert!(out.stdout.contains("USER-HOOK"), "{shell}: the user's hook no longer runs: {}", out.stdout);
        let pc = out.lines().into_iter().find(|l| l.starts_with("PC=")).unwrap_or_default().to_owned();
        assert_eq!(pc.matches("__tmpguard_hook").count(), 1, "{shell}: {pc}");
        assert!(!out.stderr.contains("unbound") && !out.stderr.contains("parameter not set"), "{shell}: {}", out.stderr);
    }
    // $? survives the hook (bash PROMPT_COMMAND sees the command's status).
    let lines = format!("{}\nPROMPT_COMMAND+=$'\\n''echo \"st=$?\"'\n(exit 3)\ntrue", init_line("bash"));
    let out = sb.run(&interactive("bash", &lines)).ok();
    assert!(out.stdout.contains("st=3"), "{}", out.stdout);
}

#[test]
fn non_interactive_and_no_hook_register_nothing() {
    let Some(sb) = sandbox() else { return };
    if !shells_ok() {
        return;
    }
    let out = sb
        .run(r#"as alice bash -c 'eval "$("$TG" init bash)"; echo "b=${PROMPT_COMMAND-none} $(type -t __tmpguard_hook || echo nofn)"'
as alice zsh -f -c 'eval "$("$TG" init zsh)"; echo "z=${precmd_functions-none}"'
as alice fish --no-config -c '"$TG" init fish | source; functions -q __tmpguard_hook; and echo f=hook; or echo f=none'"#)
        .ok();
    assert_eq!(out.lines(), ["b=none nofn", "z=none", "f=none"]);
    let lines = format!("{}\necho \"n=${{PROMPT_COMMAND-none}}\"", r#"eval "$("$TG" init bash --no-hook)""#);
    let out = sb.run(&interactive("bash", &lines)).ok();
    assert!(out.stdout.contains("n=none"), "{}", out.stdout);
}
