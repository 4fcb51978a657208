/*
 * wait_status.c - how a child process ended, in words.
 */
#define _DEFAULT_SOURCE

#include "base/wait_status.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

void describe_wait_status(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(buf, size, "wait status %d", status);
}
