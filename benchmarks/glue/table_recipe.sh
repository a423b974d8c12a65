# Sourced by run_table.sh and lorahub_table.sh: the GLUE table's training recipe, one copy, so
# that lorahub_table.sh's lora-full runs are the same runs as run_table.sh's lora-a.
# (train_glue and the PyTorch reference take the same flags; a later repeat of a flag wins.)
glue_table_recipe=(--batch-size 32 --max-seq-length 128 --epochs 3 --warmup-ratio 0.06 --weight-decay 0
                   --max-grad-norm 1.0)

# glue_table_task_flags TASK: the flags that follow the recipe for one task. SST-2 trains one
# epoch (2,105 steps) instead of three: its 67,349 sentences are 8–27 times the other tasks'
# training sets: one epoch took 21–36 min on one core of the 2-core dev machine
# (benchmarks/notes/glue-accuracy.md, session 16), so three would be 1.1–1.8 h a run, and the two
# tables need 33 SST-2 runs. (The LoraHub modules of benchmarks/notes/lorahub.md reached 86.1 on
# SST-2 at 2,000 steps, 0.95 epoch.)
glue_table_task_flags() {
  case "$1" in
    sst2) echo "--epochs 1" ;;
  esac
}
