/*
 * progress.c - progress output for backfills.
 *
 * On a terminal one line is redrawn in place at most ten times a second;
 * elsewhere (a log, a pipe) a plain line is written every few seconds so
 * that logs stay readable.  Colour only on a terminal, and never when
 * NO_COLOR is set to anything (https://no-color.org).  Writes only to the
 * run's output, never to stderr, and never fails: progress is a courtesy.
 */
#include "data/progress.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TTY_INTERVAL 0.1  /* seconds between redraws on a terminal */
#define LINE_INTERVAL 5.0 /* seconds between plain lines */
#define BAR_WIDTH 24

static double seconds_between(const struct timespec *a,
			      const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return seconds_between(t, &now);
}

double progress_elapsed(const struct progress *p)
{
	return since(&p->start);
}

void progress_format_duration(double seconds, char *buf, size_t size)
{
	long s = (long)(seconds + 0.5);

	if (seconds < 60)
		snprintf(buf, size, "%.1f s", seconds);
	else if (s < 3600)
		snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
	else
		snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60,
			 s % 60);
}

static bool wants_color(FILE *out)
{
	const char *no_color = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (no_color && no_color[0])
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fileno(out));
}

void progress_start(struct progress *p, FILE *out, const char *label,
		    long long done, long long total)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->base = p->done = done;
	p->total = total;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
	if (!out)
		return;
	p->tty = isatty(fileno(out));
	p->color = wants_color(out);
	if (p->tty) {
		/* The first batch draws the bar at once. */
		p->last.tv_sec -= 60;
		return;
	}
	if (total > 0)
		fprintf(out, "  %s: %lld of ~%lld rows done, starting\n",
			p->label, done, total);
	else
		fprintf(out, "  %s: %lld rows done, starting\n", p->label,
			done);
	fflush(out);
}

/* Percent done, or -1 when the total is unknown. */
static double percent(const struct progress *p)
{
	double pct;

	if (p->total <= 0)
		return -1;
	pct = 100.0 * (double)p->done / (double)p->total;
	return pct > 100 ? 100 : pct;
}

/* Rows per second in this run, and the time left at that rate. */
static double rate(const struct progress *p)
{
	double secs = since(&p->start);

	return secs > 0 ? (double)(p->done - p->base) / secs : 0;
}

static void format_eta(const struct progress *p, char *buf, size_t size)
{
	double r = rate(p);

	if (p->total <= 0 || r <= 0 || p->done >= p->total) {
		snprintf(buf, size, "--");
		return;
	}
	progress_format_duration((double)(p->total - p->done) / r, buf, size);
}

static void draw_bar(const struct progress *p, double pct)
{
	int fill = pct < 0 ? 0 : (int)(pct / 100.0 * BAR_WIDTH + 0.5);
	char bar[BAR_WIDTH + 1];

	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '-', (size_t)(BAR_WIDTH - fill));
	bar[BAR_WIDTH] = '\0';
	if (p->color)
		fprintf(p->out, "[\033[32m%.*s\033[0m%s]", fill, bar,
			bar + fill);
	else
		fprintf(p->out, "[%s]", bar);
}

static void draw_tty(struct progress *p)
{
	double pct = percent(p);
	char eta[32];

	format_eta(p, eta, sizeof(eta));
	fprintf(p->out, "\r  %s ", p->label);
	draw_bar(p, pct);
	if (pct >= 0)
		fprintf(p->out, " %5.1f%%  %lld/~%lld rows", pct, p->done,
			p->total);
	else
		fprintf(p->out, " %lld rows", p->done);
	fprintf(p->out, "  %.0f rows/s  ETA %s\033[K", rate(p), eta);
	fflush(p->out);
	p->drawn = true;
}

static void draw_line(const struct progress *p)
{
	double pct = percent(p);
	char eta[32];

	format_eta(p, eta, sizeof(eta));
	if (pct >= 0)
		fprintf(p->out,
			"  %s: %lld of ~%lld rows (%.0f%%), %.0f rows/s, ETA %s\n",
			p->label, p->done, p->total, pct, rate(p), eta);
	else
		fprintf(p->out, "  %s: %lld rows, %.0f rows/s\n", p->label,
			p->done, rate(p));
	fflush(p->out);
}

void progress_update(struct progress *p, long long done, long long total)
{
	p->done = done;
	p->total = total;
	if (!p->out ||
	    since(&p->last) < (p->tty ? TTY_INTERVAL : LINE_INTERVAL))
		return;
	clock_gettime(CLOCK_MONOTONIC, &p->last);
	if (p->tty)
		draw_tty(p);
	else
		draw_line(p);
}

/* On a terminal, wipe the bar so a line can be printed in its place. */
static void clear_bar(struct progress *p)
{
	if (!p->drawn)
		return;
	fputs("\r\033[K", p->out);
	p->drawn = false;
}

static void vline(struct progress *p, const char *fmt, va_list ap)
{
	clear_bar(p);
	fputs("  ", p->out);
	vfprintf(p->out, fmt, ap);
	fputc('\n', p->out);
	fflush(p->out);
}

void progress_note(struct progress *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->out)
		return;
	va_start(ap, fmt);
	vline(p, fmt, ap);
	va_end(ap);
	if (p->tty)
		draw_tty(p);
}

void progress_stop(struct progress *p)
{
	if (!p->out || !p->drawn)
		return;
	draw_tty(p);
	fputc('\n', p->out);
	fflush(p->out);
	p->drawn = false;
}

void progress_end(struct progress *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->out)
		return;
	if (p->tty) {
		draw_tty(p);
		fputc('\n', p->out);
		p->drawn = false;
	}
	va_start(ap, fmt);
	vline(p, fmt, ap);
	va_end(ap);
}
