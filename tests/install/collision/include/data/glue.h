// The consumer's own data/glue.h (tinytune has a data/glue.h too).
#pragma once
// main.cpp defines CONSUMER_MAIN after including tinytune: any earlier includer is a tinytune
// header that reached this file through a bare "data/glue.h".
#ifndef CONSUMER_MAIN
#error "a tinytune header included the consumer's data/glue.h: its includes must name tinytune/ first"
#endif
namespace consumer {
inline const char* glue_name() { return "consumer glue"; }
}  // namespace consumer
