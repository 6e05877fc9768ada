#!/usr/bin/env bash
# A sharded bali run as three Slurm jobs chained by dependencies:
#
#   deploy/slurm/submit.sh PIPELINE WORKDIR WORKERS
#
# 1. --shard-prepare once; 2. a job array of WORKERS tasks, each `--shard WORKERS` (the index
# comes from SLURM_ARRAY_TASK_ID, less SLURM_ARRAY_TASK_MIN); 3. the final unsharded run once
# every task has succeeded. WORKDIR must be on a filesystem every node sees. Extra sbatch
# options (partition, account, time) go in SBATCH_* variables or the #SBATCH lines of a copy.
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 PIPELINE WORKDIR WORKERS" >&2
  exit 2
fi
PIPELINE=$1 WORKDIR=$2 WORKERS=$3
BALI=${BALI:-bali}
run="$BALI --progress log run $PIPELINE --workdir $WORKDIR"

prepare=$(sbatch --parsable --job-name=bali-prepare --cpus-per-task=2 \
  --wrap "$run --shard-prepare")
shards=$(sbatch --parsable --job-name=bali-shard --dependency="afterok:$prepare" \
  --array="0-$((WORKERS - 1))" --cpus-per-task=2 --wrap "$run --shard $WORKERS")
finish=$(sbatch --parsable --job-name=bali-finish --dependency="afterok:$shards" \
  --cpus-per-task=8 --wrap "$run")
echo "submitted: prepare $prepare, workers $shards (array of $WORKERS), finish $finish"
