# Sourced by run_table.sh and lorahub_table.sh: the GLUE table's training recipe, one copy, so
# that lorahub_table.sh's lora-full runs are the same runs as run_table.sh's lora-a.
# (train_glue and the PyTorch reference take the same flags; a later repeat of a flag wins.)
glue_table_recipe=(--batch-size 32 --max-seq-length 128 --epochs 3 --warmup-ratio 0.06 --weight-decay 0
                   --max-grad-norm 1.0)
