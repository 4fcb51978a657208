/*
 * json_doc.c - the integration tests' reading of --json documents.
 */
#include "json_doc.h"

#include <string.h>

#include <check.h>

/* RFC 8259 allows no raw control character in a string, and the
 * terminal must not see one: C0, DEL, C1 (U+0080..U+009F in UTF-8). */
static void assert_no_control(const struct harness_result *r, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		ck_assert_msg((unsigned char)r->out[i] >= 0x20 &&
				      r->out[i] != 0x7f &&
				      !((unsigned char)r->out[i] == 0xc2 &&
					(unsigned char)r->out[i + 1] >= 0x80 &&
					(unsigned char)r->out[i + 1] <= 0x9f),
			      "a raw control character at byte %zu from %s", i,
			      r->cmdline);
}

json_object *doc_parse(const struct harness_result *r)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = strlen(r->out);
	json_object *doc;

	ck_assert_msg(
		len > 0 && r->out[len - 1] == '\n' &&
			strchr(r->out, '\n') == r->out + len - 1,
		"expected one line of JSON from %s, got \"%s\" | stderr \"%s\"",
		r->cmdline, harness_oneline(r->out), harness_oneline(r->err));
	assert_no_control(r, len);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, r->out, (int)len - 1);
	ck_assert_msg(doc != NULL &&
			      json_tokener_get_error(tok) ==
				      json_tokener_success &&
			      json_tokener_get_parse_end(tok) == len - 1,
		      "invalid JSON from %s: %s | \"%s\"", r->cmdline,
		      json_tokener_error_desc(json_tokener_get_error(tok)),
		      harness_oneline(r->out));
	json_tokener_free(tok);
	ck_assert(json_object_is_type(doc, json_type_object));
	return doc;
}

json_object *doc_field(json_object *obj, const char *key)
{
	json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(obj, key, &v),
		      "no \"%s\" in %s", key, json_object_to_json_string(obj));
	return v;
}

const char *doc_str(json_object *obj, const char *key)
{
	json_object *v = doc_field(obj, key);

	ck_assert_msg(json_object_is_type(v, json_type_string),
		      "\"%s\" is no string in %s", key,
		      json_object_to_json_string(obj));
	return json_object_get_string(v);
}

bool doc_flag(json_object *obj, const char *key)
{
	json_object *v = doc_field(obj, key);

	ck_assert_msg(json_object_is_type(v, json_type_boolean),
		      "\"%s\" is no boolean in %s", key,
		      json_object_to_json_string(obj));
	return json_object_get_boolean(v);
}

bool doc_is_null(json_object *obj, const char *key)
{
	return doc_field(obj, key) == NULL;
}

json_object *doc_at(json_object *arr, size_t i)
{
	ck_assert_msg(json_object_is_type(arr, json_type_array) &&
			      i < json_object_array_length(arr),
		      "no element %zu in %s", i,
		      json_object_to_json_string(arr));
	return json_object_array_get_idx(arr, i);
}

const char *doc_strings(json_object *arr)
{
	const char *out = "";

	ck_assert_msg(json_object_is_type(arr, json_type_array), "no array: %s",
		      json_object_to_json_string(arr));
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *v = doc_at(arr, i);

		out = harness_fmt("%s%s%s", out, i ? "," : "",
				  v ? json_object_get_string(v) : "NULL");
	}
	return out;
}
