// CUDA tensors: transfers (bit-exact round trips, strided and converting copies), creation,
// element access, contiguous/clone/to(DType), and to(Device)'s gradient.
#include "tests/cuda/cuda_test_util.h"

using namespace tt;
using namespace tt::test;

TEST_CASE("cuda tensor: to(cuda) and back is bit-exact for every dtype") {
  TT_SKIP_WITHOUT_CUDA();
  Generator gen(1);
  // normal draws use all mantissa bits; odd sizes; a 0-d and an empty tensor too.
  for (DType dtype : {DType::f32, DType::f64}) {
    for (Shape shape : {Shape{1001}, Shape{3, 5, 7}, Shape{}, Shape{0, 4}}) {
      Tensor x = normal(shape, 0.0, 1e3, dtype, gen);
      Tensor y = x.to(Device::cuda());
      CHECK(y.device() == Device::cuda());
      CHECK(y.shape() == x.shape());
      CHECK(y.dtype() == dtype);
      Tensor back = y.to(Device::cpu());
      CHECK(back.device() == Device::cpu());
      check_equal(back, x);
    }
  }
  Tensor ints = from_vector(std::vector<int64_t>{-5, 0, 7, (int64_t{1} << 40) + 3}, {4});
  check_equal(ints.to(Device::cuda()).to(Device::cpu()), ints);
  Tensor i32 = ints.to(DType::i32);
  check_equal(i32.to(Device::cuda()).to(Device::cpu()), i32);
}

TEST_CASE("cuda tensor: copies of non-contiguous views, with and without dtype conversion") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor base = random_signed({4, 6, 5}, DType::f64, 2);
  Tensor view = base.permute({2, 0, 1}).narrow(1, 1, 2);  // [5, 2, 6], strided, offset
  REQUIRE(!view.is_contiguous());
  // host view -> device, device view -> host
  check_equal(view.to(Device::cuda()), view);
  Tensor on_device = base.to(Device::cuda());
  Tensor device_view = on_device.permute({2, 0, 1}).narrow(1, 1, 2);
  check_equal(device_view.to(Device::cpu()), view);
  check_equal(device_view.contiguous(), view.contiguous());
  CHECK(device_view.contiguous().is_contiguous());
  check_equal(device_view.clone(), view);
  // dtype conversion on the device, strided source
  check_equal(device_view.to(DType::f32), view.to(DType::f32));
  check_equal(device_view.to(DType::i64), view.to(DType::i64));
  // copy_into a strided destination from each side, converting f64 -> f32
  Tensor src_host = view.narrow(1, 0, 1).squeeze(1);  // [5, 6], strided, on the host
  Tensor src_device = device_view.narrow(1, 0, 1).squeeze(1);
  Tensor expected = zeros({6, 5}, DType::f32);
  copy_into(expected.transpose(0, 1), src_host);
  for (const Tensor& src : {src_host, src_device}) {
    Tensor dst = zeros({6, 5}, DType::f32, Device::cuda());
    copy_into(dst.transpose(0, 1), src);
    check_equal(dst, expected);
  }
  // device -> strided host destination
  Tensor host_dst = zeros({6, 5}, DType::f32);
  copy_into(host_dst.transpose(0, 1), src_device);
  check_equal(host_dst, expected);
  // a broadcast (stride-0) source
  Tensor row = random_signed({1, 6}, DType::f32, 3);
  Tensor wide = zeros({5, 6}, DType::f32, Device::cuda());
  copy_into(wide, row.to(Device::cuda()).expand({5, 6}));
  check_equal(wide, row.expand({5, 6}).contiguous());
}

TEST_CASE("cuda tensor: creation, element access and printing") {
  TT_SKIP_WITHOUT_CUDA();
  const Device gpu = Device::cuda();
  check_equal(zeros({3, 4}, DType::f32, gpu), zeros({3, 4}, DType::f32));
  check_equal(ones({5}, DType::f64, gpu), ones({5}, DType::f64));
  check_equal(full({2, 3}, -2.5, DType::f32, gpu), full({2, 3}, -2.5, DType::f32));
  check_equal(full({7}, 12345678901.0, DType::i64, gpu), full({7}, 12345678901.0, DType::i64));
  CHECK(empty({2, 2}, DType::f32, gpu).device() == gpu);
  CHECK(scalar_tensor(3.0, DType::f64, gpu).item() == 3.0);

  Tensor x = random_signed({3, 4}, DType::f64, 4);
  Tensor y = x.to(gpu);
  for (int64_t i = 0; i < 12; ++i) CHECK(y.get(i) == x.get(i));
  CHECK(y.transpose(0, 1).get(5) == x.transpose(0, 1).get(5));  // through the strides
  y.set(7, 42.0);
  CHECK(y.get(7) == 42.0);
  CHECK(y.to_vector<double>()[7] == 42.0);
  CHECK(y.narrow(0, 1, 1).narrow(1, 3, 1).item() == 42.0);
  CHECK(y.to_vector<float>().size() == 12);
  CHECK(y.str().find("cuda:0") != std::string::npos);
  CHECK(y.str().find("42") != std::string::npos);
}

TEST_CASE("cuda tensor: to(Device) is differentiable both ways") {
  TT_SKIP_WITHOUT_CUDA();
  Tensor x = random_signed({4, 3}, DType::f64, 5).set_requires_grad(true);
  CHECK(x.to(Device::cpu()).impl_ptr() == x.impl_ptr());  // same device: itself
  // cpu leaf -> cuda -> ops -> cpu -> loss: the gradient arrives on the CPU, as on the CPU.
  Tensor w = random_input({4, 3}, DType::f64, 6);
  Tensor y = mul(exp(x.to(Device::cuda())), w.to(Device::cuda())).to(Device::cpu());
  sum(y).backward();
  REQUIRE(x.grad().defined());
  CHECK(x.grad().device() == Device::cpu());
  check_close(x.grad(), mul(exp(x.detach()), w), 1e-12, 1e-12);
  // a CUDA leaf receives a CUDA gradient through a trip to the host
  Tensor z = random_signed({5}, DType::f32, 7).to(Device::cuda()).set_requires_grad(true);
  sum(mul(z.to(Device::cpu()), 3.0)).backward();
  REQUIRE(z.grad().defined());
  CHECK(z.grad().device() == Device::cuda());
  check_equal(z.grad(), full({5}, 3.0, DType::f32));
}
