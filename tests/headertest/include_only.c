/*
 * Header test: plugin_api.h included first and alone must compile, with no
 * warning, under -std=c11 -pedantic (and as C++).
 */
#include "plugin_api.h"
