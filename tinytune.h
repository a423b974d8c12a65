// tinytune's public API in one include: #include <tinytune/tinytune.h>
//
// Each layer's headers can also be included alone ("tinytune/core/ops.h", ...), and a program
// that links only tinytune::core includes only the core's. The layers, bottom up:
//   core   tensors, autograd, ops with CPU and CUDA kernels, RNG, safetensors
//   nn     modules and BERT, HF checkpoint loading
//   data   tokenizers, GLUE readers, metrics, batching
//   peft   adapter families over a frozen Linear, merge, HF PEFT adapter files, LoraHub
//   train  AdamW, schedules, clipping, checkpoints, the GLUE trainer, TextClassifier
#pragma once

// core
#include "tinytune/core/autograd/gradcheck.h"
#include "tinytune/core/autograd/grad_mode.h"
#include "tinytune/core/autograd/node.h"
#include "tinytune/core/io/safetensors.h"
#include "tinytune/core/ops.h"
#include "tinytune/core/random.h"
#include "tinytune/core/tensor.h"

// nn
#include "tinytune/nn/bert.h"
#include "tinytune/nn/hf_checkpoint.h"
#include "tinytune/nn/linear.h"
#include "tinytune/nn/module.h"

// data
#include "tinytune/data/batching.h"
#include "tinytune/data/glue.h"
#include "tinytune/data/metrics.h"
#include "tinytune/data/tokenizer_config.h"
#include "tinytune/data/wordpiece.h"

// peft
#include "tinytune/peft/adapter.h"
#include "tinytune/peft/adapter_io.h"
#include "tinytune/peft/peft.h"
#include "tinytune/peft/registry.h"

// train
#include "tinytune/train/adamw.h"
#include "tinytune/train/checkpoint.h"
#include "tinytune/train/clip_grad.h"
#include "tinytune/train/lr_schedule.h"
#include "tinytune/train/text_classifier.h"
#include "tinytune/train/trainer.h"
