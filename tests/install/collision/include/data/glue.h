// The consumer's own data/glue.h (tinytune has a data/glue.h too).
#pragma once
namespace consumer {
inline const char* glue_name() { return "consumer glue"; }
}  // namespace consumer
