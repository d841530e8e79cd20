#!/usr/bin/env bash
# Install and start a one-node SLURM (munge + slurmctld + slurmd) on this machine for the
# `--cluster slurm` sensitivity test. Idempotent: safe to call twice. Needs root and Debian.
# Usage: .ci/slurm-setup.sh [start|stop|status]   (default: start)
set -euo pipefail
action="${1:-start}"
conf=/etc/slurm/slurm.conf
state=/var/spool/slurmctld
spool=/var/spool/slurmd
logs=/var/log/slurm

stop() {
  for name in slurmd slurmctld; do
    if [ -f "/run/$name.pid" ]; then kill "$(cat "/run/$name.pid")" 2>/dev/null || true; fi
  done
  if [ -f /run/munge/munged.pid ]; then kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true; fi
}

if [ "$action" = stop ]; then stop; exit 0; fi
if [ "$action" = status ]; then sinfo && scontrol ping; exit $?; fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    slurm-wlm munge
fi

host="$(hostname -s)"
cpus="$(nproc)"
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
mkdir -p "$state" "$spool" "$logs" /run/munge /etc/slurm
chown munge:munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi

# A minimal configuration: no cgroups (containers rarely allow them), no accounting.
cat > "$conf" <<CONF
ClusterName=flightsim-ci
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=${state}
SlurmdSpoolDir=${spool}
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=${logs}/slurmctld.log
SlurmdLogFile=${logs}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem_mb} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
rm -f /etc/slurm/cgroup.conf

stop
sleep 1
su -s /bin/sh munge -c "/usr/sbin/munged --pid-file=/run/munge/munged.pid" \
  || /usr/sbin/munged --force --pid-file=/run/munge/munged.pid
/usr/sbin/slurmctld
/usr/sbin/slurmd
for _ in $(seq 1 30); do
  if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    sinfo
    exit 0
  fi
  sleep 1
done
echo "slurm-setup: the node did not become idle; last log lines:" >&2
tail -n 20 "${logs}/slurmctld.log" "${logs}/slurmd.log" >&2 || true
exit 1
