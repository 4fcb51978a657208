/*
 * wait_status.h - how a child process ended, in words: the plugin prober
 * and the worker both report it.
 */
#ifndef RETORT_WAIT_STATUS_H
#define RETORT_WAIT_STATUS_H

#include <stddef.h>

/*
 * How a process ended, from its wait status: "exit status 0", "killed by
 * signal 11 (Segmentation fault)".
 */
void describe_wait_status(int status, char *buf, size_t size);

#endif
