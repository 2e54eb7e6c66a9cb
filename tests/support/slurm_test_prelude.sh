# Sourced by the real-Slurm test scripts (tests/app/slow_farm_*.sh) after they set SRC and
# PREFIX (a short mktemp prefix: the daemons' Unix sockets live in that folder): skips (exit 77)
# without the Slurm daemons, starts a one-node cluster, removes it and the work folder $W on exit,
# and defines pass/fail with the $fails count.
CLUSTER_SH="$SRC/tests/support/slurm_cluster.sh"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  echo "SKIP: slurmctld/slurmd/munge not installed (scripts/setup-deps.sh installs them)"
  exit 77
fi

CL=$(mktemp -d "/tmp/${PREFIX}.XXXXXX")
W=$(mktemp -d)
cleanup() { bash "$CLUSTER_SH" down "$CL"; rm -rf "$W"; }
trap cleanup EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
t0=$SECONDS

env=$(bash "$CLUSTER_SH" up "$CL") || { echo "FAIL: the test cluster did not start"; exit 1; }
eval "$env"
echo "cluster up in $((SECONDS - t0)) s ($SLURM_CONF)"
