#pragma once
// Test support for core tests. With Qt present they are ordinary Qt Test classes (QObject +
// private slots, run by QTest::qExec from test_main.cpp). In a core-only build without Qt
// (CUDA LibTorch on a GPU machine), a minimal stand-in provides the same macros, and
// NS_REGISTER_TEST's method list tells it what to run. Keep to: QVERIFY, QVERIFY2, QCOMPARE,
// QFAIL, QSKIP, QFINDTESTDATA-free paths (use nsTestData()), no _data() functions.
// Every test file ends with:
//   NS_REGISTER_TEST(TstFoo, methodA, methodB, ...)
//   #ifdef NS_HAVE_QTEST
//   #include "tst_foo.moc"
//   #endif

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nstest {
struct Entry {
  const char* name;
  std::function<int(int, char**)> run;  // returns failure count
};
std::vector<Entry>& registry();
struct Registrar {
  Registrar(const char* name, std::function<int(int, char**)> fn) { registry().push_back({name, std::move(fn)}); }
};
// Folder of tests/data (absolute, baked in at build time).
std::string dataDir();
}  // namespace nstest

#define NS_TEST_CAT2(a, b) a##b
#define NS_TEST_CAT(a, b) NS_TEST_CAT2(a, b)

// Qt defines the macros `slots`, `signals` and `emit` (and the stand-in below defines `slots`);
// LibTorch headers use those words as names (ivalue_inl.h, jit/api/module.h ...). ATen is
// therefore parsed here, before either set of macros exists, with and without Qt.
// A test that needs <torch/torch.h> includes tests/support/torch_first.h BEFORE this header.
#if __has_include(<ATen/ATen.h>)
#include <ATen/ATen.h>
#endif

#ifdef NS_HAVE_QTEST
#include <QtTest>
#include <string>
namespace nstest {
inline std::string cstr(const char* s) { return s ? s : ""; }
inline std::string cstr(const std::string& s) { return s; }
}  // namespace nstest
// QVERIFY2 that also takes std::string messages (built only when the check fails).
#undef QVERIFY2
#define QVERIFY2(statement, description)                                                        \
  do {                                                                                          \
    const bool ns_ok_ = static_cast<bool>(statement);                                           \
    if (!QTest::qVerify(ns_ok_, #statement, ns_ok_ ? "" : nstest::cstr(description).c_str(),   \
                        __FILE__, __LINE__))                                                    \
      return;                                                                                   \
  } while (false)
#define NS_REGISTER_TEST(Class, ...)                                                        \
  static nstest::Registrar NS_TEST_CAT(ns_reg_, Class)(#Class, [](int argc, char** argv) { \
    Class t;                                                                               \
    return QTest::qExec(&t, argc, argv);                                                   \
  });
#else
#include <cmath>
#include <cstdio>
#include <sstream>
#include <type_traits>

class QObject {};
#define Q_OBJECT
#define slots : public  // "private slots:" becomes "private: public:"

namespace nstest {
struct Failure {};
struct Skip {};
inline int& failures() { static int n = 0; return n; }
template <class A, class B>
bool equalish(const A& a, const B& b) {
  if constexpr (std::is_floating_point_v<A> || std::is_floating_point_v<B>) {
    const double x = double(a), y = double(b);
    return std::fabs(x - y) <= 1e-12 * std::max(1.0, std::max(std::fabs(x), std::fabs(y))) ||
           (x == 0 && std::fabs(y) < 1e-12) || (y == 0 && std::fabs(x) < 1e-12);
  } else {
    return a == b;
  }
}
template <class T>
std::string show(const T& v) {
  if constexpr (std::is_arithmetic_v<T>) return std::to_string(v);
  else if constexpr (std::is_convertible_v<T, std::string>) return std::string(v);
  else return "?";
}
}  // namespace nstest

#define QVERIFY2(cond, msg)                                                                \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, std::string(msg).c_str()); \
      throw nstest::Failure{};                                                             \
    }                                                                                      \
  } while (0)
#define QVERIFY(cond) QVERIFY2(cond, "")
#define QCOMPARE(a, b)                                                                     \
  do {                                                                                     \
    const auto& ns_a_ = (a);                                                               \
    const auto& ns_b_ = (b);                                                               \
    if (!nstest::equalish(ns_a_, ns_b_)) {                                                 \
      std::fprintf(stderr, "FAIL %s:%d: %s == %s (%s vs %s)\n", __FILE__, __LINE__, #a, #b, \
                   nstest::show(ns_a_).c_str(), nstest::show(ns_b_).c_str());             \
      throw nstest::Failure{};                                                             \
    }                                                                                      \
  } while (0)
#define QFAIL(msg) QVERIFY2(false, msg)
#define qInfo(...) (std::fprintf(stderr, __VA_ARGS__), std::fputc('\n', stderr))
#define QSKIP(msg)                                            \
  do {                                                        \
    std::fprintf(stderr, "SKIP %s:%d: %s\n", __FILE__, __LINE__, msg); \
    throw nstest::Skip{};                                     \
  } while (0)

#define NS_TEST_RUN_ONE(obj, m)                                  \
  try {                                                          \
    obj.m();                                                     \
    std::fprintf(stderr, "PASS   : %s\n", #m);                  \
  } catch (const nstest::Failure&) {                             \
    ++fails;                                                     \
  } catch (const nstest::Skip&) {                                \
  } catch (const std::exception& e) {                            \
    std::fprintf(stderr, "FAIL %s: exception %s\n", #m, e.what()); \
    ++fails;                                                     \
  }
// Expands NS_TEST_RUN_ONE for each listed method (up to 40).
#define NS_FE_1(o, m) NS_TEST_RUN_ONE(o, m)
#define NS_FE_2(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_1(o, __VA_ARGS__)
#define NS_FE_3(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_2(o, __VA_ARGS__)
#define NS_FE_4(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_3(o, __VA_ARGS__)
#define NS_FE_5(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_4(o, __VA_ARGS__)
#define NS_FE_6(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_5(o, __VA_ARGS__)
#define NS_FE_7(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_6(o, __VA_ARGS__)
#define NS_FE_8(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_7(o, __VA_ARGS__)
#define NS_FE_9(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_8(o, __VA_ARGS__)
#define NS_FE_10(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_9(o, __VA_ARGS__)
#define NS_FE_11(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_10(o, __VA_ARGS__)
#define NS_FE_12(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_11(o, __VA_ARGS__)
#define NS_FE_13(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_12(o, __VA_ARGS__)
#define NS_FE_14(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_13(o, __VA_ARGS__)
#define NS_FE_15(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_14(o, __VA_ARGS__)
#define NS_FE_16(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_15(o, __VA_ARGS__)
#define NS_FE_17(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_16(o, __VA_ARGS__)
#define NS_FE_18(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_17(o, __VA_ARGS__)
#define NS_FE_19(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_18(o, __VA_ARGS__)
#define NS_FE_20(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_19(o, __VA_ARGS__)
#define NS_FE_21(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_20(o, __VA_ARGS__)
#define NS_FE_22(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_21(o, __VA_ARGS__)
#define NS_FE_23(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_22(o, __VA_ARGS__)
#define NS_FE_24(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_23(o, __VA_ARGS__)
#define NS_FE_25(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_24(o, __VA_ARGS__)
#define NS_FE_26(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_25(o, __VA_ARGS__)
#define NS_FE_27(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_26(o, __VA_ARGS__)
#define NS_FE_28(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_27(o, __VA_ARGS__)
#define NS_FE_29(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_28(o, __VA_ARGS__)
#define NS_FE_30(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_29(o, __VA_ARGS__)
#define NS_FE_31(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_30(o, __VA_ARGS__)
#define NS_FE_32(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_31(o, __VA_ARGS__)
#define NS_FE_33(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_32(o, __VA_ARGS__)
#define NS_FE_34(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_33(o, __VA_ARGS__)
#define NS_FE_35(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_34(o, __VA_ARGS__)
#define NS_FE_36(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_35(o, __VA_ARGS__)
#define NS_FE_37(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_36(o, __VA_ARGS__)
#define NS_FE_38(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_37(o, __VA_ARGS__)
#define NS_FE_39(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_38(o, __VA_ARGS__)
#define NS_FE_40(o, m, ...) NS_TEST_RUN_ONE(o, m) NS_FE_39(o, __VA_ARGS__)
#define NS_FE_PICK(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, \
                   _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, _33, _34, _35, _36, _37, _38,   \
                   _39, _40, N, ...) N
#define NS_FOR_EACH(o, ...)                                                                                 \
  NS_FE_PICK(__VA_ARGS__, NS_FE_40, NS_FE_39, NS_FE_38, NS_FE_37, NS_FE_36, NS_FE_35, NS_FE_34, NS_FE_33,   \
             NS_FE_32, NS_FE_31, NS_FE_30, NS_FE_29, NS_FE_28, NS_FE_27, NS_FE_26, NS_FE_25, NS_FE_24,      \
             NS_FE_23, NS_FE_22, NS_FE_21, NS_FE_20, NS_FE_19, NS_FE_18, NS_FE_17, NS_FE_16, NS_FE_15,      \
             NS_FE_14, NS_FE_13, NS_FE_12, NS_FE_11, NS_FE_10, NS_FE_9, NS_FE_8, NS_FE_7, NS_FE_6, NS_FE_5, \
             NS_FE_4, NS_FE_3, NS_FE_2, NS_FE_1)(o, __VA_ARGS__)

#define NS_REGISTER_TEST(Class, ...)                                                        \
  static nstest::Registrar NS_TEST_CAT(ns_reg_, Class)(#Class, [](int, char**) {           \
    Class t;                                                                               \
    int fails = 0;                                                                         \
    std::fprintf(stderr, "********* Start testing of %s *********\n", #Class);            \
    NS_FOR_EACH(t, __VA_ARGS__)                                                            \
    return fails;                                                                          \
  });
#endif
