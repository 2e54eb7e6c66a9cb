#!/usr/bin/env bash
# slow_farm_window: the window's File → Render on farm… and Farm jobs dock against a real one-node
# Slurm that this script starts in a temp folder and always stops (tests/support/slurm_cluster.sh;
# no stand-ins for sbatch/squeue). It renders the local reference with the CLI, then runs the GUI
# test (tests/ui/slow_farm_window.cpp, binary slow_ui) under xvfb: submit from the dialog, wait for
# the dock to say done, open the result, compare every frame with the local render byte for byte.
# Usage: slow_farm_window.sh SLOW_UI NOISESTUDIO_CLI SOURCE_DIR. Exit 77 (skip) only when Slurm's
# daemons or xvfb-run are not installed (scripts/setup-deps.sh installs them).
set -uo pipefail
UI=${1:?usage: $0 SLOW_UI NOISESTUDIO_CLI SOURCE_DIR}
CLI=${2:?usage: $0 SLOW_UI NOISESTUDIO_CLI SOURCE_DIR}
SRC=${3:?usage: $0 SLOW_UI NOISESTUDIO_CLI SOURCE_DIR}
CLUSTER_SH="$SRC/tests/support/slurm_cluster.sh"
STEPS=${NS_FARM_TEST_STEPS:-4}

for p in slurmctld slurmd munged xvfb-run; do
  command -v "$p" >/dev/null || { echo "SKIP: $p not installed (scripts/setup-deps.sh installs it)"; exit 77; }
done

CL=$(mktemp -d /tmp/nsfwin.XXXXXX)  # short: the daemons' sockets live here
W=$(mktemp -d)
cleanup() { bash "$CLUSTER_SH" down "$CL"; rm -rf "$W"; }
trap cleanup EXIT
t0=$SECONDS
env=$(bash "$CLUSTER_SH" up "$CL") || { echo "FAIL: the test cluster did not start"; exit 1; }
eval "$env"
echo "cluster up in $((SECONDS - t0)) s ($SLURM_CONF)"

# The example project with few steps, saved where the window opens it.
mkdir -p "$W/proj"
sed "s/\"steps\": [0-9]*/\"steps\": $STEPS/" "$SRC/examples/red_ball_on_grass.nsproj" >"$W/proj/ball.nsproj"
grep -q "\"steps\": $STEPS" "$W/proj/ball.nsproj" || { echo "FAIL: could not make the test project"; exit 1; }
FRAMES=$(sed -n 's/^ *"frames": \([0-9]*\),$/\1/p' "$W/proj/ball.nsproj" | head -n1)

# One thread, as the farm's tasks use by default: same thread count, same last bits.
t=$SECONDS
NS_THREADS=1 OMP_WAIT_POLICY=PASSIVE "$CLI" render "$W/proj/ball.nsproj" -o "$W/local/frame.png" >/dev/null ||
  { echo "FAIL: local render"; exit 1; }
echo "local render: $((SECONDS - t)) s"

t=$SECONDS
# A private HOME: the window remembers followed jobs in its settings (~/.qttest in test mode), and
# this job's folder is removed at the end; other GUI tests must not find it there later.
mkdir -p "$W/home"
HOME="$W/home" NS_CLI_PATH="$CLI" NS_FARM_PROJECT="$W/proj/ball.nsproj" NS_FARM_OUT="$W/farm" NS_FARM_LOCAL="$W/local" \
  NS_FARM_FRAMES="$FRAMES" NS_TEST_CLASSES=TstFarmWindowSlurm QTEST_FUNCTION_TIMEOUT=800000 \
  OMP_WAIT_POLICY=PASSIVE NS_PREVIEW_FORCE_FALLBACK=1 QT_QPA_PLATFORM=xcb \
  xvfb-run -a -s "-screen 0 1600x1200x24" "$UI"
rc=$?
echo "GUI test: $((SECONDS - t)) s, exit $rc"
# What Slurm ran for it: every task of the window's job completed.
squeue -h -t all -o '%i %j %T %r' | grep -v ns-probe | sed 's/^/  slurm: /'
if [ $rc = 0 ] && squeue -h -t all -o '%T' | grep -qv COMPLETED; then
  echo "FAIL: a Slurm job of the test did not complete"; rc=1
fi
echo "total $((SECONDS - t0)) s"
exit $rc
