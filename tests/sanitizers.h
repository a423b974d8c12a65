// Whether the tests run under AddressSanitizer (scripts/sanitize.sh), for the few checks that
// cannot hold there: GCC defines __SANITIZE_ADDRESS__, clang answers __has_feature.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define TT_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TT_TEST_UNDER_ASAN 1
#endif
#endif
#ifndef TT_TEST_UNDER_ASAN
#define TT_TEST_UNDER_ASAN 0
#endif

namespace tt::test {
inline constexpr bool kUnderAsan = TT_TEST_UNDER_ASAN != 0;
}  // namespace tt::test
