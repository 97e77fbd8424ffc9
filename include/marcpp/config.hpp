// marcpp: MARC records for C++.
// SPDX-License-Identifier: MIT
#pragma once

/// \file config.hpp
/// Version, namespace and compile-time knobs. Every knob is a prefixed macro
/// that users may define before including any marcpp header.

// The version's one source: CMake reads these three lines (the project's
// version, the package's marcppConfigVersion.cmake), so keep their form.
#define MARCPP_VERSION_MAJOR 0
#define MARCPP_VERSION_MINOR 1
#define MARCPP_VERSION_PATCH 0
#define MARCPP_PP_STR_(x) #x
#define MARCPP_PP_STR(x) MARCPP_PP_STR_(x)
/// "MAJOR.MINOR.PATCH", made from the three numbers above.
#define MARCPP_VERSION_STRING                                                   \
  MARCPP_PP_STR(MARCPP_VERSION_MAJOR) "." MARCPP_PP_STR(MARCPP_VERSION_MINOR) "." MARCPP_PP_STR(MARCPP_VERSION_PATCH)

// Inline capacities of the record containers, chosen from the tag-count and
// subfield-count distribution of the corpus (see docs/record-model.md).
// They change the layout of the record types, so they are part of the inline
// namespace name below: code built with other values gets distinct symbols.

/// Fields held inline by a `record_view` before it spills to the heap.
#ifndef MARCPP_VIEW_FIELDS_INLINE
#  define MARCPP_VIEW_FIELDS_INLINE 48
#endif
/// Subfields (of all fields together) held inline by a `record_view`.
#ifndef MARCPP_VIEW_SUBFIELDS_INLINE
#  define MARCPP_VIEW_SUBFIELDS_INLINE 128
#endif
/// Fields held inline by an owning `record`.
#ifndef MARCPP_FIELDS_INLINE
#  define MARCPP_FIELDS_INLINE 32
#endif
/// Subfields held inline by each field of an owning `record`.
#ifndef MARCPP_SUBFIELDS_INLINE
#  define MARCPP_SUBFIELDS_INLINE 4
#endif

// Every knob that changes the layout of a type is part of the inline
// namespace name: the four capacities, then `MARCPP_AVX2_DISPATCH` (the
// parser keeps room for the AVX2 directory decoder) and `MARCPP_CHECK_VIEWS`
// (a view keeps what it needs to find it dangles), as
// `v0_48_128_32_4_a1_c0` (`_c1` where `NDEBUG` is not defined).
// Translation units built with other values then use distinct types, and a
// program that mixes them fails to link where they meet instead of
// breaking at run time. The knobs must be plain numbers. Macros the target
// alone decides (`MARCPP_HAS_SSE2`, the file adapter's `pread`) are the
// same in every translation unit of a program and are left out.
#define MARCPP_PP_CAT2_(a, b) a##b
#define MARCPP_PP_CAT2(a, b) MARCPP_PP_CAT2_(a, b)
#define MARCPP_PP_CAT7_(a, b, c, d, e, f, g) a##_##b##_##c##_##d##_##e##_##f##_##g
#define MARCPP_PP_CAT7(a, b, c, d, e, f, g) MARCPP_PP_CAT7_(a, b, c, d, e, f, g)
#define MARCPP_ABI_NAMESPACE                                                    \
  MARCPP_PP_CAT7(v0, MARCPP_VIEW_FIELDS_INLINE, MARCPP_VIEW_SUBFIELDS_INLINE,  \
                 MARCPP_FIELDS_INLINE, MARCPP_SUBFIELDS_INLINE,                 \
                 MARCPP_PP_CAT2(a, MARCPP_AVX2_DISPATCH), MARCPP_PP_CAT2(c, MARCPP_CHECK_VIEWS))

#define MARCPP_NAMESPACE_BEGIN                                                  \
  namespace marcpp {                                                           \
  inline namespace MARCPP_ABI_NAMESPACE {
#define MARCPP_NAMESPACE_END                                                    \
  }                                                                            \
  }

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#  ifndef MARCPP_HAS_EXCEPTIONS
#    define MARCPP_HAS_EXCEPTIONS 1
#  endif
#else
#  ifndef MARCPP_HAS_EXCEPTIONS
#    define MARCPP_HAS_EXCEPTIONS 0
#  endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define MARCPP_LIKELY(x) __builtin_expect(!!(x), 1)
#  define MARCPP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#  define MARCPP_ALWAYS_INLINE inline __attribute__((always_inline))
#  define MARCPP_NOINLINE __attribute__((noinline))
#  define MARCPP_LAMBDA_INLINE __attribute__((always_inline))
#else
#  define MARCPP_LIKELY(x) (x)
#  define MARCPP_UNLIKELY(x) (x)
#  define MARCPP_ALWAYS_INLINE inline
#  define MARCPP_NOINLINE
#  define MARCPP_LAMBDA_INLINE
#endif

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#  define MARCPP_HAS_SSE2 1
#else
#  define MARCPP_HAS_SSE2 0
#endif

/// AVX2 versions of the hottest byte scan, chosen at run time on processors
/// that have AVX2 (GCC and Clang on x86-64; define to 0 to build without).
#ifndef MARCPP_AVX2_DISPATCH
#  if MARCPP_HAS_SSE2 && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#    define MARCPP_AVX2_DISPATCH 1
#  else
#    define MARCPP_AVX2_DISPATCH 0
#  endif
#endif

/// 1: a `record_view` read from a source that reuses its buffer reports
/// being used after its reader read again (see `record_view`). On by
/// default where `NDEBUG` is not defined; it adds a pointer and a count to
/// each view, so release builds leave it off.
#ifndef MARCPP_CHECK_VIEWS
#  ifdef NDEBUG
#    define MARCPP_CHECK_VIEWS 0
#  else
#    define MARCPP_CHECK_VIEWS 1
#  endif
#endif
