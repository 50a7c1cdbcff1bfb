# Shared by the benchmark scripts (sourced, not run): an idle check from the CPU time itself.
# The 1-minute load average is no use on this VM: it stays at 1.5-2 with every CPU idle.
#
# IDLE_MAX: the busy percentage (all cores) at or below which the machine counts as idle
# (default 10).

idle_max="${IDLE_MAX:-10}"

# Percentage of CPU time spent busy (all cores) over one second, from /proc/stat.
cpu_busy_percent() {
    local a b total=0 i idle
    read -r -a a < <(grep '^cpu ' /proc/stat)
    sleep 1
    read -r -a b < <(grep '^cpu ' /proc/stat)
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    idle=$((b[4] - a[4] + b[5] - a[5]))
    echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}

# Waits (up to a minute) for an idle machine; prints the last busy percentage.
wait_for_idle() {
    local busy tries=0
    busy="$(cpu_busy_percent)"
    while (( busy > idle_max && tries < 60 )); do
        sleep 1
        busy="$(cpu_busy_percent)"
        tries=$((tries + 1))
    done
    echo "$busy"
}

