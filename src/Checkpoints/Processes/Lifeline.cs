namespace Caiman.Checkpoints.Processes;

/// <summary>
/// The shell every launched process starts in, through <c>setsid</c>: a gate, then a lifeline.
/// </summary>
/// <remarks>
/// <para>
/// <b>Gate.</b> setsid execs this shell in place (its child is not a group leader), so the shell,
/// and then the command it execs, has pid = process group = session id. It says it is ready (by
/// then setsid() has happened) and waits for one line on stdin; at end of file it runs nothing
/// and exits 125. The engine opens the gate only once the launch is in the run's journal.
/// </para>
/// <para>
/// <b>Lifeline.</b> After the gate the shell keeps its stdin, a pipe whose other end only the
/// engine holds, as fd 3, and forks a watcher twice over (so init, not the command, is its parent:
/// a command that waits for all its children never waits for it) in the same session. The watcher
/// ignores the polite signals and blocks reading fd 3. When the pipe reaches end of file (the
/// engine died, SIGKILL included: the kernel closes a dead process's descriptors) it SIGKILLs
/// every live member of the session, scanning <c>/proc</c> again until none is left, and exits.
/// Once the command has ended and the engine has swept its session itself, the engine writes
/// <c>done</c> and the watcher exits without a scan of its own. The command then runs with stdin from
/// /dev/null and without fd 3; it keeps pid = group = session, so the engine still reads its
/// exit status (and the signal that killed it) as its own child's.
/// </para>
/// <para>
/// PR_SET_PDEATHSIG is no substitute: it fires when the thread that forked the child exits, and
/// .NET forks from pool threads. A process that leaves the session on purpose (it calls setsid
/// itself) is out of the lifeline's reach, as it is out of <see cref="ProcessReaper"/>'s.
/// </para>
/// <para>
/// Lines on stdout: <c>caiman-gate</c> when ready, then after the gate <c>caiman-lifeline PID</c>
/// (the watcher's pid, so the engine can leave it out when it counts what a command left behind),
/// then the command's own output.
/// </para>
/// </remarks>
internal static class Lifeline
{
    public const string ProgramName = "caiman-gate";
    public const string GateReady = "caiman-gate";
    public const string LifelinePrefix = "caiman-lifeline ";

    /// <summary>
    /// POSIX sh (dash): the fields of /proc/PID/stat are counted after the last ") ", since the
    /// command name in parentheses may hold spaces; $4 is then the session. <c>$$</c> in the
    /// watcher is still the gate shell's pid, which is the session id.
    /// </summary>
    public const string Script = """
        echo caiman-gate
        read -r _ || exit 125
        exec 3<&0
        ( ( trap '' TERM INT HUP QUIT
            while read -r l <&3; do [ "$l" = done ] && exit 0; done
            read -r me _ </proc/self/stat
            round=0
            while [ "$round" -lt 20 ]; do
              found=
              for d in /proc/[0-9]*; do
                { read -r st <"$d/stat"; } 2>/dev/null || continue
                p=${st%% *}
                [ "$p" = "$me" ] && continue
                set -- ${st##*) }
                [ "$4" = "$$" ] || continue
                case $1 in Z|X|x) continue ;; esac
                kill -9 "$p" 2>/dev/null && found=1
              done
              [ -n "$found" ] || break
              round=$((round + 1))
            done
          ) </dev/null >/dev/null 2>&1 & echo "caiman-lifeline $!" )
        exec "$@" 3<&- </dev/null
        """;
}
