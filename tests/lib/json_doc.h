/*
 * json_doc.h - reading retort's --json documents in the integration
 * tests with json-c, a real parser (the runner writes JSON itself).  Each
 * helper fails the running test, naming the key and the document, when
 * the document lacks what it asks for.
 */
#ifndef RETORT_TEST_JSON_DOC_H
#define RETORT_TEST_JSON_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "harness.h"

/*
 * The one JSON document on r's stdout: an object on one line, strict
 * RFC 8259, no raw control character (C0, DEL, C1) anywhere.
 */
json_object *doc_parse(const struct harness_result *r);
/* obj's member key (NULL when it is JSON null). */
json_object *doc_field(json_object *obj, const char *key);
/* obj's member key, which must be a string. */
const char *doc_str(json_object *obj, const char *key);
/* obj's member key, which must be a boolean. */
bool doc_flag(json_object *obj, const char *key);
/* Whether obj's member key is JSON null. */
bool doc_is_null(json_object *obj, const char *key);
/* Element i of array arr. */
json_object *doc_at(json_object *arr, size_t i);
/* An array of strings (null as "NULL") as "a,b,c". */
const char *doc_strings(json_object *arr);

#endif
