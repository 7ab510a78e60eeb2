// Shared by every kernel (prepended at build time). OpenCL C 1.2.
// Routing must match the C++ reference bit for bit: no contraction into fma.
#pragma OPENCL FP_CONTRACT OFF
#ifdef MOE_HAVE_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double real;
#else
typedef float real;
#endif

// 1/x rounded correctly, as the C++ reference computes it. OpenCL lets single-precision
// division be off by 2.5 ulp (NVIDIA is); a double quotient rounded to float is exact.
float correctly_rounded_inverse(float x) { return (float)((real)1.0 / (real)x); }
