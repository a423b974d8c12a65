// A program whose include path holds core/tensor.h and data/glue.h of its own, and that uses
// tinytune through its umbrella header: both sets of headers must resolve to the right files.
#include <cstdio>

#include <tinytune/tinytune.h>  // first: our headers must not reach the two below

#define CONSUMER_MAIN
#include "core/tensor.h"
#include "data/glue.h"

int main() {
  consumer::Tensor mine;
  tt::Tensor ours = tt::ones({mine.rows, mine.cols});
  const double total = tt::sum(ours).item();
  std::printf("%s; tinytune sum %.0f; %zu GLUE tasks\n", consumer::glue_name(), total,
              tt::data::all_glue_tasks().size());
  return total == mine.rows * mine.cols ? 0 : 1;
}
