#!/bin/bash
# Queues the array of shards, then the merge, which starts only when every task succeeded.
set -euo pipefail
cd "$(dirname "$0")"
array=$(sbatch --parsable batch.sbatch)
merge=$(sbatch --parsable --dependency="afterok:${array}" merge.sbatch)
echo "array ${array}, merge ${merge}: results/all.csv when both are done"
