// The browser build is single-threaded (no -fopenmp): OpenMP's queries answer one thread
// and its pragmas are ignored, so every parallel loop runs in order.
#pragma once
inline int omp_get_max_threads() { return 1; }
inline int omp_get_num_threads() { return 1; }
inline int omp_get_thread_num() { return 0; }
inline void omp_set_num_threads(int) {}
