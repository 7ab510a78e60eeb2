// Shared by every kernel (prepended at build time). OpenCL C 1.2.
// Routing must match the C++ reference bit for bit: no contraction into fma.
#pragma OPENCL FP_CONTRACT OFF
#ifdef MOE_HAVE_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double real;
#else
typedef float real;
#endif
