#include "tinytune/dist/gradient_sync.h"

#include "tinytune/core/error.h"
#include "tinytune/core/ops.h"

namespace tt::dist {

namespace {

// Consecutive runs of parameters whose bytes add up to at most bucket_bytes (at least one each).
std::vector<std::pair<size_t, size_t>> buckets(const std::vector<Tensor>& params, int64_t bucket_bytes) {
  TT_CHECK(bucket_bytes > 0, "bucket_bytes must be positive, got ", bucket_bytes);
  std::vector<std::pair<size_t, size_t>> out;  // [begin, end)
  int64_t bytes = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const int64_t b = params[i].numel() * static_cast<int64_t>(dtype_size(params[i].dtype()));
    if (out.empty() || bytes + b > bucket_bytes) {
      out.emplace_back(i, i);
      bytes = 0;
    }
    out.back().second = i + 1;
    bytes += b;
  }
  return out;
}

// The bucket's tensors, read by `value`, laid end to end in one flat tensor.
template <typename F>
Tensor pack(const std::vector<Tensor>& params, std::pair<size_t, size_t> range, F&& value) {
  int64_t total = 0;
  for (size_t i = range.first; i < range.second; ++i) total += params[i].numel();
  const Tensor& first = params[range.first];
  Tensor flat = zeros({total}, first.dtype(), first.device());
  int64_t offset = 0;
  for (size_t i = range.first; i < range.second; ++i) {
    Tensor v = value(params[i]);
    if (v.defined()) copy_into(flat.narrow(0, offset, params[i].numel()).view(params[i].shape()), v);
    offset += params[i].numel();
  }
  return flat;
}

}  // namespace

int64_t average_gradients(Communicator& comm, const std::vector<Tensor>& params, int64_t local_examples,
                          int64_t bucket_bytes) {
  TT_CHECK(local_examples >= 0, "average_gradients: negative example count ", local_examples);
  // On the parameters' device: MPI reduces CPU tensors, NCCL CUDA ones.
  const Device device = params.empty() ? Device::cpu() : params[0].device();
  Tensor count = full({1}, static_cast<double>(local_examples), DType::f64, device);
  comm.all_reduce_sum(count);
  const int64_t total = static_cast<int64_t>(count.item());
  TT_CHECK(total > 0, "average_gradients: no rank saw an example this step");
  if (params.empty()) return total;
  NoGradGuard no_grad;
  for (auto range : buckets(params, bucket_bytes)) {
    Tensor flat = pack(params, range, [&](const Tensor& p) {
      return p.grad().defined() ? mul(p.grad(), static_cast<double>(local_examples)) : Tensor();
    });
    comm.all_reduce_sum(flat);
    int64_t offset = 0;
    for (size_t i = range.first; i < range.second; ++i) {
      const Tensor& p = params[i];
      Tensor mean = div(flat.narrow(0, offset, p.numel()).view(p.shape()), static_cast<double>(total));
      if (!p.grad().defined()) p.impl().grad = zeros(p.shape(), p.dtype(), p.device()).impl_ptr();
      copy_into(p.grad(), mean);
      offset += p.numel();
    }
  }
  return total;
}

void check_parameters_identical(Communicator& comm,
                                const std::vector<std::pair<std::string, Tensor>>& named_params,
                                int64_t bucket_bytes) {
  std::vector<Tensor> params;
  for (const auto& [name, p] : named_params) params.push_back(p);
  std::string first_difference;
  for (auto range : buckets(params, bucket_bytes)) {
    Tensor mine = pack(params, range, [](const Tensor& p) { return p.detach(); });
    Tensor root = mine.clone();
    comm.broadcast(root, 0);
    const auto a = mine.to(Device::cpu()).to_vector<double>(), b = root.to(Device::cpu()).to_vector<double>();
    int64_t offset = 0;
    for (size_t i = range.first; i < range.second && first_difference.empty(); ++i) {
      for (int64_t j = 0; j < params[i].numel(); ++j)
        if (a[offset + j] != b[offset + j]) {
          first_difference = named_params[i].first;
          break;
        }
      offset += params[i].numel();
    }
  }
  // Every rank learns whether any rank differs, so all of them stop together.
  const Device device = params.empty() ? Device::cpu() : params[0].device();
  Tensor differs = full({1}, first_difference.empty() ? 0.0 : 1.0, DType::f64, device);
  comm.all_reduce_sum(differs);
  TT_CHECK(differs.item() == 0, "parameters differ from rank 0's",
           first_difference.empty() ? std::string(" on another rank") : " first at " + first_difference,
           " (every rank must start from the same checkpoint and seed)");
}

}  // namespace tt::dist
