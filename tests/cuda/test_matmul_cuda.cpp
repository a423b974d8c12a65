// CUDA matmul and GEMM against the CPU, for both CUDA GEMM backends (cuBLAS and tinytune's
// own kernels), in fp32, TF32 and bf16 (autocast).
//
// Tolerances (|cuda - cpu| <= rel * |cpu| + abs, abs = abs_scale * max|cpu| per tensor):
//   fp32: rel 1e-5, abs_scale 1e-5. Both sides are fp32 FMA sums in different orders: the
//     error is a few ulps times sqrt(K) (K <= 520 here), ~1e-6 of the largest output. cuBLAS
//     with TF32 off (the default) is held to the same bound: it must not use reduced
//     precision behind our back.
//   bf16 (autocast) vs the f32 CPU product: rel 1e-2. Inputs are positive here, and rounding
//     each to bf16 (8 significant bits, unit roundoff u = 2^-8) moves a product a*b by at most
//     (2u + u^2)|a*b|, so the sum moves by at most 2^-7 * sum|a*b| = 2^-7 * |C| = 7.8e-3 |C|,
//     whatever K; fp32 accumulation adds ~1e-6.
//   bf16 vs the CPU product of the bf16-rounded inputs: rel 1e-5 (as fp32): the only
//     difference left is the fp32 accumulation order, so this checks the tensor-core
//     kernels' data flow exactly, and that CPU and GPU round to bf16 the same way.
//   TF32 vs f32: rel 2e-3 on positive inputs: TF32 keeps 11 significant bits; with
//     round-to-nearest a product moves by <= 2^-10 |a*b| (9.8e-4), with truncation (if the
//     hardware path truncates) by <= 2^-9 (2e-3).
// Inputs are fresh random values, never zeros: positive in [0.5, 1.5) unless the case says
// signed (then ±[0.2, 1)).
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "tinytune/core/autocast.h"
#include "tinytune/core/blas/gemm.h"
#include "tinytune/core/blas/gemm_cuda.h"
#include "tests/cuda/cuda_test_util.h"

namespace {

using tt::Shape;
using tt::Tensor;
using tt::blas::CudaGemmBackend;

constexpr double kF32Rel = 1e-5, kF32AbsScale = 1e-5;
constexpr double kBf16Rel = 1e-2;
constexpr double kTf32Rel = 2e-3;

// Selects a CUDA GEMM backend (and TF32) for a scope, restoring the previous settings.
struct CudaGemmSettings {
  CudaGemmBackend previous_backend = tt::blas::cuda_gemm_backend();
  bool previous_tf32 = tt::blas::cuda_allow_tf32();
  CudaGemmSettings(CudaGemmBackend backend, bool tf32 = false) {
    tt::blas::set_cuda_gemm_backend(backend);
    tt::blas::set_cuda_allow_tf32(tf32);
  }
  ~CudaGemmSettings() {
    tt::blas::set_cuda_gemm_backend(previous_backend);
    tt::blas::set_cuda_allow_tf32(previous_tf32);
  }
};

const CudaGemmBackend kBackends[] = {CudaGemmBackend::cublas, CudaGemmBackend::own};

using View = std::function<Tensor(const Tensor&)>;
Tensor identity(const Tensor& t) { return t; }
Tensor transposed(const Tensor& t) { return t.transpose(-1, -2); }

// A matmul case: operand a of logical shape a_shape (built as a_base viewed by a_view), same
// for b. Stored shapes differ from logical ones for transposed views.
struct MatmulCase {
  std::string name;
  Shape a_base, b_base;
  View a_view = identity, b_view = identity;
};

std::vector<MatmulCase> matmul_cases() {
  return {
      {"ragged 2-D 97x67 * 67x131", {97, 67}, {67, 131}},
      {"one element", {1, 1}, {1, 1}},
      {"whole tiles 128x128 * 128x128", {128, 128}, {128, 128}},
      {"several tiles, ragged 300x520 * 520x260", {300, 520}, {520, 260}},
      {"long thin K 7x300 * 300x5", {7, 300}, {300, 5}},
      {"K = 1 outer product", {33, 1}, {1, 45}},
      {"A transposed view", {67, 97}, {67, 131}, transposed},
      {"B transposed view (Linear)", {97, 67}, {131, 67}, identity, transposed},
      {"both transposed", {67, 97}, {131, 67}, transposed, transposed},
      // Row stride 80, first element 3 floats in: misaligned for vector loads and cp.async.
      {"unaligned narrow view", {97, 80}, {67, 131},
       [](const Tensor& t) { return t.narrow(1, 3, 67); }},
      {"batched 3x33x45 * 3x45x29", {3, 33, 45}, {3, 45, 29}},
      {"batched, b transposed", {3, 33, 45}, {3, 29, 45}, identity, transposed},
      {"broadcast batch 2x1 * 1x3 (outer loop)", {2, 1, 33, 45}, {1, 3, 45, 29}},
      {"broadcast matrix a over batch", {33, 45}, {4, 45, 29}},
      {"3-D times 2-D (one GEMM of all rows)", {4, 33, 45}, {45, 29}},
      {"attention scores q k^T", {2, 3, 16, 24}, {2, 3, 16, 24}, identity, transposed},
      {"permuted batch (non-contiguous batch strides)", {3, 2, 17, 9}, {2, 3, 9, 11},
       [](const Tensor& t) { return t.permute({1, 0, 2, 3}); }},
      {"vector times matrix", {45}, {45, 29}},
      {"batched matrix times vector", {3, 33, 45}, {45}},
  };
}

Tensor positive(const Shape& shape, uint64_t seed) {
  return tt::test::random_input(shape, tt::DType::f32, seed);
}

void run_matmul_cases(double rel, double abs_scale, bool signed_inputs) {
  uint64_t seed = 100;
  for (const MatmulCase& c : matmul_cases()) {
    INFO("case: ", c.name);
    const Tensor a = signed_inputs ? tt::test::random_signed(c.a_base, tt::DType::f32, ++seed)
                                   : positive(c.a_base, ++seed);
    const Tensor b = signed_inputs ? tt::test::random_signed(c.b_base, tt::DType::f32, ++seed)
                                   : positive(c.b_base, ++seed);
    tt::test::check_op_on_cuda(
        [](const std::vector<Tensor>& x) { return tt::matmul(x[0], x[1]); },
        {{a, c.a_view}, {b, c.b_view}}, rel, abs_scale);
  }
}

// Rounds every element to the nearest bf16 (kept as f32): the CPU side of the exactness checks.
Tensor round_to_bf16(const Tensor& t) { return t.to(tt::DType::bf16).to(tt::DType::f32); }

}  // namespace

TEST_CASE("cuda matmul: backend and TF32 settings parse and default (no device needed)") {
  CHECK(tt::blas::parse_cuda_gemm_backend("own") == CudaGemmBackend::own);
  CHECK(tt::blas::parse_cuda_gemm_backend("cublas") == CudaGemmBackend::cublas);
  CHECK(std::string(tt::blas::to_string(CudaGemmBackend::own)) == "own");
  tt::test::check_error([] { tt::blas::parse_cuda_gemm_backend("cutlass"); },
                        {"cutlass", "cublas, own"});
  {
    CudaGemmSettings settings(CudaGemmBackend::own, true);
    CHECK(tt::blas::cuda_gemm_backend() == CudaGemmBackend::own);
    CHECK(tt::blas::cuda_allow_tf32());
  }
  CHECK(!tt::blas::cuda_allow_tf32());  // TF32 is off unless asked for
}

TEST_CASE("cuda bf16: to(DType) on the device rounds exactly as the CPU does") {
  TT_SKIP_WITHOUT_CUDA();
  // Ties both ways, a carry into the exponent, overflow to inf, NaN with a low payload,
  // subnormals, signed zero, and random values.
  std::vector<float> values;
  for (uint32_t bits : {0x3f808000u, 0x3f818000u, 0xbf808000u, 0x3fffffffu, 0x7f7fffffu,
                        0x7f7f7fffu, 0xff800000u, 0x7f800001u, 0x00008000u, 0x00018000u,
                        0x807fffffu, 0x80000000u})
    values.push_back(std::bit_cast<float>(bits));
  const std::vector<float> random = positive({500}, 77).to_vector<float>();
  values.insert(values.end(), random.begin(), random.end());
  const Tensor x = tt::from_vector(values, {static_cast<int64_t>(values.size())});
  const Tensor on_device = x.to(tt::Device::cuda()).to(tt::DType::bf16);
  CHECK(on_device.dtype() == tt::DType::bf16);
  const std::vector<float> got = on_device.to(tt::DType::f32).to_vector<float>();
  const std::vector<float> want = x.to(tt::DType::bf16).to(tt::DType::f32).to_vector<float>();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element ", i, " (float bits ", std::bit_cast<uint32_t>(values[i]), ")");
    CHECK(std::bit_cast<uint32_t>(got[i]) == std::bit_cast<uint32_t>(want[i]));
  }
  // And back on the device, strided: a transposed bf16 view converted to f32.
  const Tensor m = positive({6, 9}, 78).to(tt::DType::bf16);
  const Tensor mt_cpu = m.transpose(0, 1).to(tt::DType::f32);
  const Tensor mt_cuda = m.to(tt::Device::cuda()).transpose(0, 1).to(tt::DType::f32);
  tt::test::check_equal(mt_cuda, mt_cpu);
}

TEST_CASE("cuda matmul: f32 forward and backward vs CPU, both backends, every layout") {
  TT_SKIP_WITHOUT_CUDA();
  for (CudaGemmBackend backend : kBackends) {
    INFO("backend ", tt::blas::to_string(backend));
    CudaGemmSettings settings(backend);
    run_matmul_cases(kF32Rel, kF32AbsScale, /*signed_inputs=*/true);
  }
}

TEST_CASE("cuda matmul: TF32 when allowed stays within TF32's bound (cuBLAS, own stays fp32)") {
  TT_SKIP_WITHOUT_CUDA();
  {
    CudaGemmSettings settings(CudaGemmBackend::cublas, /*tf32=*/true);
    run_matmul_cases(kTf32Rel, 1e-6, /*signed_inputs=*/false);
  }
  {
    // The own f32 kernel has no TF32 path: fp32 accuracy with the switch on.
    CudaGemmSettings settings(CudaGemmBackend::own, /*tf32=*/true);
    run_matmul_cases(kF32Rel, kF32AbsScale, /*signed_inputs=*/true);
  }
}

TEST_CASE("cuda matmul: bf16 autocast vs the f32 CPU product, forward and backward") {
  TT_SKIP_WITHOUT_CUDA();
  for (CudaGemmBackend backend : kBackends) {
    INFO("backend ", tt::blas::to_string(backend));
    CudaGemmSettings settings(backend);
    tt::AutocastBf16 bf16;  // CPU ignores it: the CPU side is the f32 reference
    run_matmul_cases(kBf16Rel, 1e-6, /*signed_inputs=*/false);
  }
}

TEST_CASE("cuda matmul: bf16 autocast equals the CPU product of bf16-rounded inputs") {
  TT_SKIP_WITHOUT_CUDA();
  uint64_t seed = 500;
  for (CudaGemmBackend backend : kBackends) {
    CudaGemmSettings settings(backend);
    for (const MatmulCase& c : matmul_cases()) {
      INFO("backend ", tt::blas::to_string(backend), ", case: ", c.name);
      const Tensor a = tt::test::random_signed(c.a_base, tt::DType::f32, ++seed);
      const Tensor b = tt::test::random_signed(c.b_base, tt::DType::f32, ++seed);
      const Tensor expected = tt::matmul(c.a_view(round_to_bf16(a)), c.b_view(round_to_bf16(b)));
      Tensor got;
      {
        tt::AutocastBf16 bf16;
        got = tt::matmul(c.a_view(a.to(tt::Device::cuda())), c.b_view(b.to(tt::Device::cuda())));
      }
      CHECK(got.dtype() == tt::DType::f32);
      double scale = 0;
      for (double v : expected.to_vector<double>()) scale = std::max(scale, std::abs(v));
      tt::test::check_close(got, expected, kF32Rel, kF32AbsScale * scale);
    }
  }
}

TEST_CASE("cuda matmul: the backward of an autocast matmul runs in bf16 wherever it is called") {
  TT_SKIP_WITHOUT_CUDA();
  const Tensor a0 = positive({37, 53}, 1), b0 = positive({53, 41}, 2);
  const Tensor w = positive({37, 41}, 3).to(tt::Device::cuda());
  // grads[0]: forward and backward in autocast; [1]: forward only; [2]: neither.
  std::vector<float> grads[3];
  for (int mode = 0; mode < 3; ++mode) {
    Tensor a = a0.to(tt::Device::cuda()).set_requires_grad(true);
    Tensor b = b0.to(tt::Device::cuda());
    Tensor loss;
    {
      tt::AutocastBf16 bf16(mode < 2);
      loss = tt::sum(tt::mul(tt::matmul(a, b), w));
      if (mode == 0) loss.backward();
    }
    if (mode != 0) loss.backward();
    grads[mode] = a.grad().to_vector<float>();
  }
  CHECK(grads[1] == grads[0]);  // the recorded precision, bit for bit
  CHECK(grads[2] != grads[0]);  // and it is not the f32 one (rounding changed some bits)
}

TEST_CASE("cuda matmul: results are the same bits on every run") {
  TT_SKIP_WITHOUT_CUDA();
  const Tensor a = positive({200, 150}, 7).to(tt::Device::cuda());
  const Tensor b = positive({150, 170}, 8).to(tt::Device::cuda());
  for (CudaGemmBackend backend : kBackends)
    for (bool bf16 : {false, true}) {
      INFO("backend ", tt::blas::to_string(backend), (bf16 ? ", bf16" : ", f32"));
      CudaGemmSettings settings(backend);
      tt::AutocastBf16 autocast(bf16);
      CHECK(tt::matmul(a, b).to_vector<float>() == tt::matmul(a, b).to_vector<float>());
    }
}

TEST_CASE("cuda matmul: errors name the op and what was expected") {
  TT_SKIP_WITHOUT_CUDA();
  const Tensor a = positive({3, 4}, 1);
  tt::test::check_error([&] { tt::matmul(a.to(tt::Device::cuda()), a.transpose(0, 1)); },
                        {"matmul", "different devices", "cuda:0", "cpu"});
  const Tensor d = a.to(tt::DType::f64).to(tt::Device::cuda());
  tt::test::check_error([&] { tt::matmul(d, d.transpose(0, 1)); }, {"matmul", "f32", "f64"});
}

#ifdef TINYTUNE_WITH_CUDA
namespace {

// The raw device pointer of a CUDA tensor, typed.
template <typename T>
T* device_ptr(const Tensor& t) {
  REQUIRE(t.device().type == tt::DeviceType::cuda);
  return static_cast<T*>(t.raw_data());
}

// C = alpha * op(A) op(B) + beta * C on the CPU, in double, for matrix `index` of a batch.
std::vector<double> reference_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                                   double alpha, const std::vector<double>& A, int64_t lda,
                                   const std::vector<double>& B, int64_t ldb, double beta,
                                   std::vector<double> C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k)
        acc += A[ta ? k * lda + i : i * lda + k] * B[tb ? j * ldb + k : k * ldb + j];
      double& c = C[i * ldc + j];
      c = beta == 0 ? alpha * acc : alpha * acc + beta * c;
    }
  return C;
}

}  // namespace

TEST_CASE("cuda gemm: alpha, beta, padded leading dims, strided batch with broadcast A") {
  TT_SKIP_WITHOUT_CUDA();
  const int64_t M = 45, N = 70, K = 33, batch = 3;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (CudaGemmBackend backend : kBackends)
        for (bool bf16 : {false, true}) {
          INFO("ta ", ta, " tb ", tb, " backend ", tt::blas::to_string(backend), " bf16 ", bf16);
          // Leading dims past the row length (odd ones: misaligned rows), A shared by the batch.
          const int64_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 2;
          const int64_t a_rows = ta ? K : M, b_rows = tb ? N : K;
          const Tensor A = tt::test::random_signed({a_rows, lda}, tt::DType::f32, 11);
          const Tensor B = tt::test::random_signed({batch, b_rows, ldb}, tt::DType::f32, 12);
          const Tensor C0 = tt::test::random_signed({batch, M, ldc}, tt::DType::f32, 13);
          const Tensor A_used = bf16 ? round_to_bf16(A) : A, B_used = bf16 ? round_to_bf16(B) : B;
          const Tensor dA = A.to(tt::Device::cuda()), dB = B.to(tt::Device::cuda());
          const Tensor dA16 = A.to(tt::DType::bf16).to(tt::Device::cuda());
          const Tensor dB16 = B.to(tt::DType::bf16).to(tt::Device::cuda());
          const Tensor dC = C0.to(tt::Device::cuda());
          const tt::blas::GemmBatch gb{batch, 0, b_rows * ldb, M * ldc};
          CudaGemmSettings settings(backend);
          const float alpha = 0.75f, beta = -1.25f;
          if (bf16)
            tt::blas::gemm_cuda(ta, tb, M, N, K, alpha, device_ptr<tt::bfloat16>(dA16), lda,
                                device_ptr<tt::bfloat16>(dB16), ldb, beta,
                                device_ptr<float>(dC), ldc, gb);
          else
            tt::blas::gemm_cuda(ta, tb, M, N, K, alpha, device_ptr<float>(dA), lda,
                                device_ptr<float>(dB), ldb, beta, device_ptr<float>(dC), ldc, gb);
          const std::vector<double> got = dC.to_vector<double>();
          const std::vector<double> a = A_used.to_vector<double>(), b = B_used.to_vector<double>(),
                                    c0 = C0.to_vector<double>();
          for (int64_t i = 0; i < batch; ++i) {
            const std::vector<double> bi(b.begin() + i * b_rows * ldb,
                                         b.begin() + (i + 1) * b_rows * ldb);
            const std::vector<double> ci(c0.begin() + i * M * ldc, c0.begin() + (i + 1) * M * ldc);
            const std::vector<double> want =
                reference_gemm(ta, tb, M, N, K, alpha, a, lda, bi, ldb, beta, ci, ldc);
            for (int64_t r = 0; r < M; ++r)
              for (int64_t col = 0; col < ldc; ++col) {
                const double g = got[i * M * ldc + r * ldc + col], w = want[r * ldc + col];
                // Padding columns (col >= N) must be untouched.
                const double tol = col >= N ? 0.0 : 1e-5 * (std::abs(w) + 1.0);
                if (!(std::abs(g - w) <= tol)) {
                  INFO("batch ", i, " row ", r, " col ", col, ": got ", g, ", expected ", w);
                  CHECK(std::abs(g - w) <= tol);
                  r = M;  // one report per matrix
                  break;
                }
              }
          }
        }
}

TEST_CASE("cuda gemm: beta = 0 ignores NaN in C, and K = 0 or alpha = 0 scale C by beta") {
  TT_SKIP_WITHOUT_CUDA();
  const int64_t M = 20, N = 30, K = 10;
  const Tensor A = positive({M, K}, 21).to(tt::Device::cuda());
  const Tensor B = positive({K, N}, 22).to(tt::Device::cuda());
  const Tensor expected = tt::matmul(positive({M, K}, 21), positive({K, N}, 22));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (CudaGemmBackend backend : kBackends) {
    INFO("backend ", tt::blas::to_string(backend));
    CudaGemmSettings settings(backend);
    Tensor C = tt::full({M, N}, nan, tt::DType::f32, tt::Device::cuda());
    tt::blas::gemm_cuda(false, false, M, N, K, 1.0f, device_ptr<float>(A), K,
                        device_ptr<float>(B), N, 0.0f, device_ptr<float>(C), N);
    tt::test::check_close(C, expected, kF32Rel, 1e-5);

    Tensor C2 = tt::full({M, N}, 3.0, tt::DType::f32, tt::Device::cuda());
    tt::blas::gemm_cuda(false, false, M, N, 0, 1.0f, device_ptr<float>(A), K,
                        device_ptr<float>(B), N, 0.5f, device_ptr<float>(C2), N);
    tt::test::check_equal(C2, tt::full({M, N}, 1.5));
    tt::blas::gemm_cuda(false, false, M, N, K, 0.0f, device_ptr<float>(A), K,
                        device_ptr<float>(B), N, 0.0f, device_ptr<float>(C2), N);
    tt::test::check_equal(C2, tt::zeros({M, N}));
  }
  tt::test::check_error(
      [&] {
        tt::blas::gemm_cuda(false, false, M, N, K, 1.0f, device_ptr<float>(A), K - 1,
                            device_ptr<float>(B), N, 0.0f, device_ptr<float>(A), N);
      },
      {"gemm_cuda", "lda=9", "too small"});
}

TEST_CASE("cuda gemm: own kernels vs cuBLAS on a large ragged product") {
  TT_SKIP_WITHOUT_CUDA();
  // Several K tiles of both kernels, tiles ragged in all three dims.
  const int64_t M = 1000, N = 777, K = 1031;
  const Tensor a = tt::test::random_signed({M, K}, tt::DType::f32, 31).to(tt::Device::cuda());
  const Tensor b = tt::test::random_signed({K, N}, tt::DType::f32, 32).to(tt::Device::cuda());
  for (bool bf16 : {false, true}) {
    INFO((bf16 ? "bf16" : "f32"));
    tt::AutocastBf16 autocast(bf16);
    Tensor ours, theirs;
    {
      CudaGemmSettings settings(CudaGemmBackend::own);
      ours = tt::matmul(a, b);
    }
    {
      CudaGemmSettings settings(CudaGemmBackend::cublas);
      theirs = tt::matmul(a, b);
    }
    double scale = 0;
    for (double v : theirs.to_vector<double>()) scale = std::max(scale, std::abs(v));
    // Same inputs on both sides (bf16-rounded alike): only the accumulation order differs.
    tt::test::check_close(ours, theirs, kF32Rel, 1e-5 * scale);
  }
}
#endif  // TINYTUNE_WITH_CUDA
