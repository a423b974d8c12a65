#include "tinytune/peft/lorahub_head.h"

#include <cmath>

#include "tinytune/core/error.h"
#include "tinytune/core/ops.h"

namespace tt::peft {

namespace {

using Matrix = std::vector<double>;  // row-major

// Lower Cholesky factor of the SPD n×n matrix a (in place: the lower triangle holds L).
void cholesky(Matrix& a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double diag = a[j * n + j];
    for (int64_t p = 0; p < j; ++p) diag -= a[j * n + p] * a[j * n + p];
    TT_CHECK(diag > 0, "lorahub: the ridge system K + λI is not positive definite (pivot ", j, " = ",
             diag, "); are the features finite?");
    const double l = std::sqrt(diag);
    a[j * n + j] = l;
    for (int64_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (int64_t p = 0; p < j; ++p) v -= a[i * n + p] * a[j * n + p];
      a[i * n + j] = v / l;
    }
  }
}

// Solves (L Lᵀ) X = B in place for B [n, m].
void cholesky_solve(const Matrix& l, int64_t n, Matrix& b, int64_t m) {
  for (int64_t c = 0; c < m; ++c) {
    for (int64_t i = 0; i < n; ++i) {  // L z = b
      double v = b[i * m + c];
      for (int64_t p = 0; p < i; ++p) v -= l[i * n + p] * b[p * m + c];
      b[i * m + c] = v / l[i * n + i];
    }
    for (int64_t i = n - 1; i >= 0; --i) {  // Lᵀ x = z
      double v = b[i * m + c];
      for (int64_t p = i + 1; p < n; ++p) v -= l[p * n + i] * b[p * m + c];
      b[i * m + c] = v / l[i * n + i];
    }
  }
}

// Column means of x [rows, cols] and x with them subtracted.
Matrix centre(const Matrix& x, int64_t rows, int64_t cols, std::vector<double>& mean) {
  mean.assign(cols, 0.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) mean[j] += x[i * cols + j];
  for (double& m : mean) m /= static_cast<double>(rows);
  Matrix c(x.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) c[i * cols + j] = x[i * cols + j] - mean[j];
  return c;
}

// The pieces both the fit and LOO need: centred data, K + λI factored.
struct RidgeSystem {
  int64_t k, d, c;
  std::vector<double> f_mean, y_mean;
  Matrix fc, yc, y, chol;  // chol: Cholesky factor of K + λI
  Matrix gram;             // K = Fc Fcᵀ
};

RidgeSystem ridge_system(const std::vector<double>& features, int64_t d, const HeadTargets& targets,
                         const RidgeHeadOptions& options) {
  options.validate();
  targets.validate();
  RidgeSystem s;
  s.k = targets.size();
  s.d = d;
  s.c = targets.num_outputs;
  TT_CHECK(d >= 1 && static_cast<int64_t>(features.size()) == s.k * d, "lorahub: expected ", s.k,
           " x ", d, " features for ", s.k, " examples, got ", features.size(), " values");
  for (double v : features) TT_CHECK(std::isfinite(v), "lorahub: a feature is not finite (", v, ")");
  s.y = targets.matrix();
  s.fc = centre(features, s.k, d, s.f_mean);
  s.yc = centre(s.y, s.k, s.c, s.y_mean);
  s.gram.assign(s.k * s.k, 0.0);
  for (int64_t i = 0; i < s.k; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double v = 0;
      for (int64_t p = 0; p < d; ++p) v += s.fc[i * d + p] * s.fc[j * d + p];
      s.gram[i * s.k + j] = s.gram[j * s.k + i] = v;
    }
  s.chol = s.gram;
  for (int64_t i = 0; i < s.k; ++i) s.chol[i * s.k + i] += options.lambda;
  cholesky(s.chol, s.k);
  return s;
}

double log_sum_exp(const double* v, int64_t n) {
  double top = v[0];
  for (int64_t j = 1; j < n; ++j) top = std::max(top, v[j]);
  double s = 0;
  for (int64_t j = 0; j < n; ++j) s += std::exp(v[j] - top);
  return top + std::log(s);
}

}  // namespace

void RidgeHeadOptions::validate() const {
  TT_CHECK(lambda > 0 && std::isfinite(lambda), "--ridge-lambda: must be > 0, got ", lambda);
  TT_CHECK(temperature > 0 && std::isfinite(temperature), "--temperature: must be > 0, got ", temperature);
}

int64_t HeadTargets::size() const {
  return static_cast<int64_t>(regression ? scores.size() : classes.size());
}

std::vector<double> HeadTargets::matrix() const {
  const int64_t k = size();
  std::vector<double> y(k * num_outputs, 0.0);
  for (int64_t i = 0; i < k; ++i) {
    if (regression)
      y[i] = scores[i];
    else
      y[i * num_outputs + classes[i]] = 1.0;
  }
  return y;
}

void HeadTargets::validate() const {
  if (regression) {
    TT_CHECK(num_outputs == 1 && classes.empty(), "lorahub: regression targets have one output and "
             "no class ids, got ", num_outputs, " outputs and ", classes.size(), " class ids");
    for (double s : scores) TT_CHECK(std::isfinite(s), "lorahub: a target score is not finite (", s, ")");
  } else {
    TT_CHECK(num_outputs >= 2 && scores.empty(), "lorahub: classification targets need >= 2 classes "
             "and no scores, got ", num_outputs, " classes and ", scores.size(), " scores");
    for (int64_t c : classes)
      TT_CHECK(c >= 0 && c < num_outputs, "lorahub: class id ", c, " is outside [0, ", num_outputs, ")");
  }
  TT_CHECK(size() >= 2, "--shots: leave-one-out needs at least 2 examples, got ", size());
}

LooResult ridge_leave_one_out(const std::vector<double>& features, int64_t d,
                              const HeadTargets& targets, const RidgeHeadOptions& options) {
  const RidgeSystem s = ridge_system(features, d, targets, options);
  const int64_t k = s.k, c = s.c;
  // S = (K + λI)⁻¹ K = K (K + λI)⁻¹ (they commute); H = 11ᵀ/k + S. Ŷ = H Y = ȳ + S Yc
  // (S 1 = 0 since K 1 = 0).
  Matrix smooth = s.gram;
  cholesky_solve(s.chol, k, smooth, k);
  LooResult out;
  out.predictions.assign(k * c, 0.0);
  double total = 0;
  for (int64_t i = 0; i < k; ++i) {
    const double leverage = 1.0 / static_cast<double>(k) + smooth[i * k + i];
    const double keep = 1.0 - leverage;
    TT_CHECK(keep > 0, "lorahub: leave-one-out leverage ", leverage, " of example ", i, " is not < 1");
    double* loo = &out.predictions[i * c];
    for (int64_t j = 0; j < c; ++j) {
      double fitted = s.y_mean[j];
      for (int64_t p = 0; p < k; ++p) fitted += smooth[i * k + p] * s.yc[p * c + j];
      const double y = s.y[i * c + j];
      loo[j] = y - (y - fitted) / keep;
    }
    if (targets.regression) {
      total += (loo[0] - s.y[i]) * (loo[0] - s.y[i]);
    } else {
      std::vector<double> logits(loo, loo + c);
      for (double& v : logits) v /= options.temperature;
      total += log_sum_exp(logits.data(), c) - logits[targets.classes[i]];
    }
  }
  out.loss = total / static_cast<double>(k);
  return out;
}

RidgeFit fit_ridge_head(const std::vector<double>& features, int64_t d, const HeadTargets& targets,
                        const RidgeHeadOptions& options) {
  const RidgeSystem s = ridge_system(features, d, targets, options);
  const int64_t k = s.k, c = s.c;
  Matrix dual = s.yc;  // (K + λI)⁻¹ Yc [k, C]
  cholesky_solve(s.chol, k, dual, c);
  RidgeFit fit;
  fit.in_features = d;
  fit.out_features = c;
  fit.weight.assign(c * d, 0.0);  // W = βᵀ = (Fcᵀ dual)ᵀ
  for (int64_t j = 0; j < c; ++j)
    for (int64_t i = 0; i < k; ++i)
      for (int64_t p = 0; p < d; ++p) fit.weight[j * d + p] += dual[i * c + j] * s.fc[i * d + p];
  fit.bias = s.y_mean;  // b = ȳ − W f̄
  for (int64_t j = 0; j < c; ++j)
    for (int64_t p = 0; p < d; ++p) fit.bias[j] -= fit.weight[j * d + p] * s.f_mean[p];
  return fit;
}

void install_head(nn::Linear& classifier, const RidgeFit& fit) {
  TT_CHECK(classifier.out_features == fit.out_features && classifier.in_features == fit.in_features,
           "lorahub: the classifier is ", classifier.out_features, " x ", classifier.in_features,
           " but the fitted head is ", fit.out_features, " x ", fit.in_features);
  TT_CHECK(classifier.bias.defined(), "lorahub: the classifier has no bias to hold the intercept");
  NoGradGuard no_grad;
  copy_into(classifier.weight, from_vector(fit.weight, {fit.out_features, fit.in_features}, DType::f64));
  copy_into(classifier.bias, from_vector(fit.bias, {fit.out_features}, DType::f64));
}

}  // namespace tt::peft
