// Bulyan's coordinate-wise stage as a TensorFlow CPU op (paper section 4, Proposition 1).
//
// ClosestToMedianMean(picked [theta, d], beta) -> [d]: for each coordinate, the mean of the beta
// values closest to the lower median (NaN ordered and used as +Inf, distance ties to the lower
// value). The algorithms are in closest_to_median_mean.h; this file registers the op, checks its
// input and splits the coordinates over TensorFlow's CPU thread pool.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "closest_to_median_mean.h"

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/util/work_sharder.h"

namespace bulyan {

using ::tensorflow::DEVICE_CPU;
using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;
using ::tensorflow::TensorShape;
using ::tensorflow::shape_inference::DimensionHandle;
using ::tensorflow::shape_inference::InferenceContext;
using ::tensorflow::shape_inference::ShapeHandle;

template <typename... Args>
absl::Status InvalidArgument(const Args&... message) {
  return absl::InvalidArgumentError(absl::StrCat(message...));
}

REGISTER_OP("ClosestToMedianMean")
    .Input("picked: T")
    .Output("mean: T")
    .Attr("T: {float, double}")
    .Attr("beta: int >= 1")
    .Attr("method: {'auto', 'network', 'quickselect'} = 'auto'")
    .SetShapeFn([](InferenceContext* c) {
      ShapeHandle picked;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 2, &picked));
      int64_t beta = 0;
      TF_RETURN_IF_ERROR(c->GetAttr("beta", &beta));
      DimensionHandle theta = c->Dim(picked, 0);
      if (c->ValueKnown(theta)) {
        const int64_t t = c->Value(theta);
        if (t == 0) {
          return InvalidArgument(
              "ClosestToMedianMean needs theta >= 1 picked rows, got theta=0");
        }
        if (beta > t) {
          return InvalidArgument(
              "ClosestToMedianMean needs beta <= theta, got beta=", beta, ", theta=", t);
        }
      }
      c->set_output(0, c->Vector(c->Dim(picked, 1)));
      return absl::OkStatus();
    })
    .Doc(R"doc(
Bulyan's coordinate-wise stage (El Mhamdi et al., ICML 2018, section 4): per coordinate, the mean of
the beta values closest to the lower median of the theta picked values. NaN is ordered as +Inf;
distance ties go to the lower value. method: 'network' (a comparator network over many coordinates
at once), 'quickselect' (std::nth_element per coordinate), or 'auto' (network for theta <= 4096).
)doc");

// The network path compiled for the baseline instruction set, and (x86-64 with GCC or Clang) once
// more for AVX2; both give the same results, AVX2 is used when the CPU has it.
template <typename T>
void NetworkBlocks(const T* input, int64_t d, int64_t theta, int64_t beta,
                   const std::vector<Comparator>& network, int64_t first, int64_t last, T* out) {
  ClosestToMedianMeanWithNetwork(input, d, theta, beta, network, first, last, out);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
template <typename T>
__attribute__((target("avx2"))) void NetworkBlocksAvx2(
    const T* input, int64_t d, int64_t theta, int64_t beta,
    const std::vector<Comparator>& network, int64_t first, int64_t last, T* out) {
  ClosestToMedianMeanWithNetwork(input, d, theta, beta, network, first, last, out);
}
inline bool CpuHasAvx2() { return __builtin_cpu_supports("avx2"); }
#else
template <typename T>
void NetworkBlocksAvx2(const T* input, int64_t d, int64_t theta, int64_t beta,
                       const std::vector<Comparator>& network, int64_t first, int64_t last,
                       T* out) {
  NetworkBlocks(input, d, theta, beta, network, first, last, out);
}
inline bool CpuHasAvx2() { return false; }
#endif

template <typename T>
class ClosestToMedianMeanOp : public OpKernel {
 public:
  explicit ClosestToMedianMeanOp(OpKernelConstruction* context) : OpKernel(context) {
    OP_REQUIRES_OK(context, context->GetAttr("beta", &beta_));
    OP_REQUIRES_OK(context, context->GetAttr("method", &method_));
    OP_REQUIRES(context, beta_ >= 1,
                InvalidArgument(
                    "ClosestToMedianMean needs beta >= 1, got beta=", beta_));
  }

  void Compute(OpKernelContext* context) override {
    const Tensor& picked = context->input(0);
    OP_REQUIRES(context, picked.dims() == 2,
                InvalidArgument(
                    "ClosestToMedianMean needs picked of rank 2 [theta, d], got shape ",
                    picked.shape().DebugString()));
    const int64_t theta = picked.dim_size(0);
    const int64_t d = picked.dim_size(1);
    OP_REQUIRES(context, theta >= 1,
                InvalidArgument(
                    "ClosestToMedianMean needs theta >= 1 picked rows, got theta=0"));
    OP_REQUIRES(context, beta_ <= theta,
                InvalidArgument(
                    "ClosestToMedianMean needs beta <= theta, got beta=", beta_,
                    ", theta=", theta));

    Tensor* output = nullptr;
    OP_REQUIRES_OK(context, context->allocate_output(0, TensorShape({d}), &output));
    if (d == 0) return;

    const T* const input = picked.flat<T>().data();
    T* const result = output->flat<T>().data();
    const int64_t beta = beta_;
    const int64_t num_blocks = (d + kLanes - 1) / kLanes;
    const auto* threads = context->device()->tensorflow_cpu_worker_threads();

    const bool use_network =
        method_ == "network" || (method_ == "auto" && theta <= kMaxNetworkTheta);
    if (use_network) {
      const int64_t median_index = (theta - 1) / 2;
      const std::vector<Comparator> network = SelectionNetwork(
          theta, std::max<int64_t>(0, median_index - (beta - 1)),
          std::min<int64_t>(theta - 1, median_index + (beta - 1)));
      const bool use_avx2 = CpuHasAvx2();
      auto work = [&](int64_t first_block, int64_t last_block) {
        if (use_avx2) {
          NetworkBlocksAvx2(input, d, theta, beta, network, first_block, last_block, result);
        } else {
          NetworkBlocks(input, d, theta, beta, network, first_block, last_block, result);
        }
      };
      // Cycles per block: a min and a max per comparator and lane, plus the gather and the sum.
      const int64_t cost = kLanes * (2 * static_cast<int64_t>(network.size()) + 4 * theta);
      ::tensorflow::Shard(threads->num_threads, threads->workers, num_blocks, cost, work);
      return;
    }

    auto work = [&](int64_t first_block, int64_t last_block) {
      ClosestToMedianMeanWithQuickSelect(input, d, theta, beta, first_block, last_block, result);
    };
    // Cycles per block: a few selects over theta values per coordinate.
    const int64_t cost = kLanes * (40 * theta + 20 * beta);
    ::tensorflow::Shard(threads->num_threads, threads->workers, num_blocks, cost, work);
  }

 private:
  // The comparator network beat quick-select by 3x to 25x for every theta measured up to 4096
  // (benchmarks/bench_native.py --crossover); past that its buffer (theta * kLanes values per
  // thread) and its O(theta log^2 theta) comparators make quick-select the safer choice.
  static constexpr int64_t kMaxNetworkTheta = 4096;
  int64_t beta_ = 0;
  std::string method_;
};

REGISTER_KERNEL_BUILDER(
    Name("ClosestToMedianMean").Device(DEVICE_CPU).TypeConstraint<float>("T"),
    ClosestToMedianMeanOp<float>);
REGISTER_KERNEL_BUILDER(
    Name("ClosestToMedianMean").Device(DEVICE_CPU).TypeConstraint<double>("T"),
    ClosestToMedianMeanOp<double>);

}  // namespace bulyan
