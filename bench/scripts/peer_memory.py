"""Peak memory of a peer script, shared by the PyTorch peers under bench/scripts/."""

import resource


def peak_rss_bytes():
    """This process's peak RSS: VmHWM, which exec resets. `ru_maxrss` is not reset by exec on
    Linux, so in a process started by bali it reports at least bali's own RSS at the fork."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
