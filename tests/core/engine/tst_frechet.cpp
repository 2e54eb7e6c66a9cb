// Tests core/engine/frechet: known closed forms for Gaussian feature sets.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/engine/frechet.h"

class TstFrechet : public QObject {
  Q_OBJECT
 private slots:
  void identicalSetsGiveZero();
  void shiftedMeanGivesSquaredShift();
  void scaledCovarianceMatchesClosedForm();
};

void TstFrechet::identicalSetsGiveZero() {
  at::Generator gen = at::detail::createCPUGenerator(1);
  at::Tensor a = at::randn({500, 8}, gen, at::TensorOptions().dtype(at::kDouble));
  const double d = ns::frechetDistance(a, a);
  QVERIFY2(d < 1e-8, "d = " + std::to_string(d));
}

void TstFrechet::shiftedMeanGivesSquaredShift() {
  at::Generator gen = at::detail::createCPUGenerator(2);
  at::Tensor a = at::randn({400, 4}, gen, at::TensorOptions().dtype(at::kDouble));
  at::Tensor b = a + 3.0;  // same covariance, mean shifted by 3 in 4 dims: d = 4·9 = 36
  const double d = ns::frechetDistance(a, b);
  QVERIFY2(std::abs(d - 36.0) < 1e-6, "d = " + std::to_string(d));
}

void TstFrechet::scaledCovarianceMatchesClosedForm() {
  // Same mean, covariances Σ and 4Σ: Tr(Σ + 4Σ − 2·2Σ) = Tr(Σ).
  at::Generator gen = at::detail::createCPUGenerator(3);
  at::Tensor a = at::randn({2000, 6}, gen, at::TensorOptions().dtype(at::kDouble));
  a = a - a.mean(0);
  at::Tensor b = 2.0 * a;
  const double trace = (a.t().matmul(a) / 1999.0).trace().item<double>();
  const double d = ns::frechetDistance(a, b);
  QVERIFY2(std::abs(d - trace) < 1e-6 * trace, "d = " + std::to_string(d) + " expected " + std::to_string(trace));
}

NS_REGISTER_TEST(TstFrechet, identicalSetsGiveZero, shiftedMeanGivesSquaredShift, scaledCovarianceMatchesClosedForm)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_frechet.moc"
#endif
