/* Attribute values: wire JSON <-> pt_av_t with DynamoDB's validation, item
 * size by DynamoDB's rules, lookup and deep equality. The binary stored form
 * lives in item_codec.c.
 *
 * Conversion runs in DynamoDB's two phases, because that decides which error
 * a client sees when a request has several problems:
 *  1. Deserialization (SerializationException): DynamoDB's front end (Coral,
 *     Jackson-based) first maps the whole request onto Java types, so a JSON
 *     kind that cannot become the declared type ({"S": 5}) or a malformed
 *     base64 blob fails before any value is validated. check_shape() walks the
 *     whole value first for this reason.
 *  2. Validation (ValidationException): per AttributeValue, in document order
 *     of its type members: number syntax/range, NULL must be true, sets
 *     non-empty, set members valid and unique, M/L members recursively; only
 *     then "more than one datatypes". This is the order dynalite records
 *     from the real service (mhart/dynalite validations/index.js,
 *     validateAttributeValue).
 *
 * Jackson semantics kept: unknown members and JSON nulls are ignored (so
 * {"X": 1} is an empty AttributeValue), and for duplicate member names the
 * last one wins — an overwritten value is still deserialized (phase 1) but
 * never validated (phase 2).
 *
 * Results follow av.h's invariants: canonical N text, decoded B bytes, M
 * members sorted and unique, sets sorted and unique. S values, member names
 * and canonical N text alias the JSON tree's (arena-owned, NUL-terminated)
 * strings instead of being copied: the JSON must outlive the value.
 *
 * Not done here: key-attribute rules (non-empty S/B keys, key types), item
 * size limits, attribute-name limits — the operations check those. */
#include "engine/av.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/number.h"

#define INVALID "One or more parameter values were invalid: "
#define MSG_EMPTY_AV \
    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
#define MSG_MULTI_AV                                                          \
    "Supplied AttributeValue has more than one datatypes set, must contain " \
    "exactly one of the supported datatypes"
/* Observed wording (PutItem, BatchWriteItem, transactions); single-item
 * operations wrap it in "1 validation error detected: ", which is the
 * caller's business. */
#define MSG_NESTING                                                    \
    "Nesting Levels have exceeded supported limits: Attributes in the " \
    "item have nested levels beyond supported limit"
#define MSG_NOT_NUMERIC "The parameter cannot be converted to a numeric value"
#define JAVA_AV "com.amazonaws.dynamodb.v20120810.AttributeValue"
#define MSG_MAP_COLLECTION \
    "Unrecognized collection type java.util.Map<java.lang.String, " JAVA_AV ">"

static const char *const type_names[] = {
    [PT_AV_S] = "S",   [PT_AV_N] = "N",       [PT_AV_B] = "B",   [PT_AV_BOOL] = "BOOL",
    [PT_AV_NULL] = "NULL", [PT_AV_M] = "M",   [PT_AV_L] = "L",   [PT_AV_SS] = "SS",
    [PT_AV_NS] = "NS", [PT_AV_BS] = "BS",
};

const char *pt_av_type_name(int type)
{
    if (type < PT_AV_S || type > PT_AV_BS) return "?";
    return type_names[type];
}

int pt_av_type_from_name(const char *s, size_t len)
{
    switch (len) {
    case 1:
        switch (s[0]) {
        case 'S': return PT_AV_S;
        case 'N': return PT_AV_N;
        case 'B': return PT_AV_B;
        case 'M': return PT_AV_M;
        case 'L': return PT_AV_L;
        }
        return 0;
    case 2:
        if (s[1] != 'S') return 0;
        switch (s[0]) {
        case 'S': return PT_AV_SS;
        case 'N': return PT_AV_NS;
        case 'B': return PT_AV_BS;
        }
        return 0;
    case 4:
        if (!memcmp(s, "BOOL", 4)) return PT_AV_BOOL;
        if (!memcmp(s, "NULL", 4)) return PT_AV_NULL;
        return 0;
    }
    return 0;
}

static int serr(pt_error_t *err, const char *msg)
{
    return pt_error_set(err, PT_E_SERIALIZATION, "%s", msg);
}

static int verr(pt_error_t *err, const char *msg)
{
    return pt_error_set(err, PT_E_VALIDATION, "%s", msg);
}

/* ------------------------------------------------------------------ */
/* Base64: DynamoDB's blob rules live in json.c (pt_base64_decode_err);  */
/* here they only become SerializationExceptions.                       */

static int b64_check(const char *in, size_t len, pt_error_t *err)
{
    char reason[128];
    if (pt_base64_decode_err(in, len, NULL, reason, sizeof reason) < 0)
        return pt_error_set(err, PT_E_SERIALIZATION, "%s", reason);
    return PT_OK;
}

/* Decodes text already accepted by b64_check. Returns the byte count. */
static size_t b64_decode(const char *in, size_t len, uint8_t *out)
{
    long n = pt_base64_decode(in, len, out);
    return n < 0 ? 0 : (size_t)n;
}

/* ------------------------------------------------------------------ */
/* Phase 1: JSON kinds (SerializationException)                        */

static bool is_integral(const pt_json_t *v)
{
    return !memchr(v->u.str, '.', v->len) && !memchr(v->u.str, 'e', v->len) &&
           !memchr(v->u.str, 'E', v->len);
}

/* Coral's messages for a value that cannot become a java.lang.String. */
static int check_string_kind(const pt_json_t *v, pt_error_t *err)
{
    switch (v->type) {
    case PT_JSON_STRING: return PT_OK;
    case PT_JSON_TRUE: return serr(err, "TRUE_VALUE cannot be converted to String");
    case PT_JSON_FALSE: return serr(err, "FALSE_VALUE cannot be converted to String");
    case PT_JSON_NUMBER:
        return serr(err, is_integral(v) ? "NUMBER_VALUE cannot be converted to String"
                                        : "DECIMAL_VALUE cannot be converted to String");
    case PT_JSON_ARRAY: return serr(err, "Unrecognized collection type class java.lang.String");
    case PT_JSON_OBJECT: return serr(err, "Start of structure or map found where not expected");
    default: return PT_OK; /* null: ignored */
    }
}

/* Blob (java.nio.ByteBuffer): only base64 strings convert. */
static int check_blob_kind(const pt_json_t *v, pt_error_t *err)
{
    switch (v->type) {
    case PT_JSON_STRING: return b64_check(v->u.str, v->len, err);
    case PT_JSON_ARRAY: return serr(err, "Unrecognized collection type class java.nio.ByteBuffer");
    case PT_JSON_OBJECT: return serr(err, "Start of structure or map found where not expected");
    case PT_JSON_NULL: return PT_OK;
    default: return serr(err, "only base-64-encoded strings are convertible to bytes");
    }
}

/* Jackson's Boolean coercion accepts these strings (any case). */
static int bool_from_string(const pt_json_t *v, bool *out)
{
    static const char *const yes[] = {"true", "yes", "1"};
    static const char *const no[] = {"false", "no", "0"};
    for (int i = 0; i < 3; i++) {
        if (strlen(yes[i]) == v->len && !strncasecmp(yes[i], v->u.str, v->len)) {
            *out = true;
            return PT_OK;
        }
        if (strlen(no[i]) == v->len && !strncasecmp(no[i], v->u.str, v->len)) {
            *out = false;
            return PT_OK;
        }
    }
    return PT_ERR;
}

static int check_bool_kind(const pt_json_t *v, pt_error_t *err)
{
    bool b;
    switch (v->type) {
    case PT_JSON_TRUE:
    case PT_JSON_FALSE:
    case PT_JSON_NULL: return PT_OK;
    case PT_JSON_STRING:
        if (bool_from_string(v, &b)) return serr(err, "Unexpected token received from parser");
        return PT_OK;
    case PT_JSON_NUMBER:
        return serr(err, is_integral(v) ? "NUMBER_VALUE cannot be converted to Boolean"
                                        : "DECIMAL_VALUE cannot be converted to Boolean");
    case PT_JSON_ARRAY: return serr(err, "Unrecognized collection type class java.lang.Boolean");
    default: return serr(err, "Start of structure or map found where not expected");
    }
}

static bool json_bool(const pt_json_t *v)
{
    bool b = false;
    if (v->type == PT_JSON_TRUE) return true;
    if (v->type == PT_JSON_STRING && !bool_from_string(v, &b)) return b;
    return false;
}

/* A List member (SS, NS, BS, L). */
static int check_list_kind(const pt_json_t *v, pt_error_t *err)
{
    if (v->type == PT_JSON_ARRAY) return PT_OK;
    if (v->type == PT_JSON_OBJECT) return serr(err, "Start of structure or map found where not expected");
    return serr(err, "Unexpected field type");
}

static int check_shape(const pt_json_t *v, pt_error_t *err);

/* A Map<String, AttributeValue> member (M, and an item itself). */
static int check_map_shape(const pt_json_t *v, pt_error_t *err)
{
    if (v->type == PT_JSON_ARRAY) return serr(err, MSG_MAP_COLLECTION);
    if (v->type != PT_JSON_OBJECT) return serr(err, "Unexpected field type");
    for (uint32_t i = 0; i < v->len; i++) {
        const pt_json_t *e = &v->u.members[i].value;
        if (e->type != PT_JSON_NULL && check_shape(e, err)) return PT_ERR;
    }
    return PT_OK;
}

/* Deserialization check of one AttributeValue and everything inside it.
 * Recursion is bounded by the JSON parser's depth limit. */
static int check_shape(const pt_json_t *v, pt_error_t *err)
{
    if (v->type == PT_JSON_ARRAY) return serr(err, "Unrecognized collection type class " JAVA_AV);
    if (v->type != PT_JSON_OBJECT) return serr(err, "Unexpected value type in payload");
    for (uint32_t i = 0; i < v->len; i++) {
        const pt_json_member_t *m = &v->u.members[i];
        const pt_json_t *x = &m->value;
        if (x->type == PT_JSON_NULL) continue;
        int rc = PT_OK;
        switch (pt_av_type_from_name(m->key, m->key_len)) {
        case PT_AV_S:
        case PT_AV_N: rc = check_string_kind(x, err); break;
        case PT_AV_B: rc = check_blob_kind(x, err); break;
        case PT_AV_BOOL:
        case PT_AV_NULL: rc = check_bool_kind(x, err); break;
        case PT_AV_SS:
        case PT_AV_NS:
            if ((rc = check_list_kind(x, err))) break;
            for (uint32_t k = 0; k < x->len && !rc; k++) rc = check_string_kind(&x->u.elems[k], err);
            break;
        case PT_AV_BS:
            if ((rc = check_list_kind(x, err))) break;
            for (uint32_t k = 0; k < x->len && !rc; k++) rc = check_blob_kind(&x->u.elems[k], err);
            break;
        case PT_AV_L:
            if ((rc = check_list_kind(x, err))) break;
            for (uint32_t k = 0; k < x->len && !rc; k++)
                if (x->u.elems[k].type != PT_JSON_NULL) rc = check_shape(&x->u.elems[k], err);
            break;
        case PT_AV_M: rc = check_map_shape(x, err); break;
        default: break; /* unknown member: ignored */
        }
        if (rc) return rc;
    }
    return PT_OK;
}

/* ------------------------------------------------------------------ */
/* Phase 2: validation and conversion (ValidationException)            */

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

static int av_bytes_cmp(const void *x, const void *y)
{
    const pt_av_t *a = x, *b = y;
    return bytes_cmp(a->u.str, a->len, b->u.str, b->len);
}

/* Parses number text into canonical form. N values, NS members. */
static int convert_number(pt_arena_t *arena, const char *s, size_t len, pt_av_t *out,
                          pt_dec_t *dec, pt_error_t *err)
{
    /* An empty string never reaches the number parser in DynamoDB: its
     * message has no ": <text>" suffix. */
    if (!len) return verr(err, MSG_NOT_NUMERIC);
    if (pt_dec_parse(s, len, dec, err)) return PT_ERR;
    char text[PT_DEC_MAX_TEXT];
    size_t n = pt_dec_format_to(dec, text);
    out->type = PT_AV_N;
    out->len = (uint32_t)n;
    /* Most clients already send canonical text: alias it then. */
    out->u.str = (n == len && !memcmp(text, s, n)) ? s : pt_arena_strndup(arena, text, n);
    return PT_OK;
}

/* "[a, b, a]" — the input collection as DynamoDB quotes it, bounded to
 * what fits in an error message (a character cut at the bound is dropped
 * by pt_error_set, which keeps every message valid UTF-8). */
static void collection_str(const pt_json_t *arr, char *out, size_t cap)
{
    size_t o = 0;
    out[o++] = '[';
    for (uint32_t i = 0; i < arr->len && o < cap - 1; i++) {
        const pt_json_t *e = &arr->u.elems[i];
        if (i) {
            out[o++] = ',';
            if (o < cap - 1) out[o++] = ' ';
        }
        const char *s = e->type == PT_JSON_STRING ? e->u.str : "null";
        size_t n = e->type == PT_JSON_STRING ? e->len : 4;
        if (n > cap - 1 - o) n = cap - 1 - o;
        memcpy(out + o, s, n);
        o += n;
    }
    if (o < cap - 1) out[o++] = ']';
    out[o] = 0;
}

/* Null members in a set: Jackson keeps them as Java nulls. NS follows
 * dynalite's recorded message for a missing number; for SS/BS there is no
 * recorded wording, so these follow the nearest DynamoDB messages. */
static int null_in_set(int type, pt_error_t *err)
{
    if (type == PT_AV_NS) return verr(err, MSG_NOT_NUMERIC);
    if (type == PT_AV_BS) return verr(err, INVALID "Binary sets may not contain null or empty values");
    return verr(err, INVALID "An string set may not have a null member");
}

typedef struct {
    pt_dec_t dec;
    uint32_t idx;
} ns_entry_t;

static int ns_entry_cmp(const void *x, const void *y)
{
    const ns_entry_t *a = x, *b = y;
    return pt_dec_cmp(&a->dec, &b->dec);
}

static int convert_set(pt_arena_t *arena, int type, const pt_json_t *arr, pt_av_t *out,
                       pt_error_t *err)
{
    uint32_t n = arr->len;
    if (!n) {
        if (type == PT_AV_SS) return verr(err, INVALID "An string set  may not be empty"); /* sic */
        if (type == PT_AV_NS) return verr(err, INVALID "An number set  may not be empty");
        return verr(err, INVALID "Binary sets should not be empty");
    }
    for (uint32_t i = 0; i < n; i++)
        if (arr->u.elems[i].type == PT_JSON_NULL) return null_in_set(type, err);

    pt_av_t *elems = pt_arena_alloc(arena, (size_t)n * sizeof *elems);
    out->type = (uint8_t)type;
    out->boolean = false;
    out->len = n;
    out->u.elems = elems;

    if (type == PT_AV_NS) {
        /* Every member must parse before duplicates are looked for; "1" and
         * "1.0" are the same number, hence duplicates. */
        ns_entry_t *ents = pt_arena_alloc(arena, (size_t)n * sizeof *ents);
        pt_av_t *tmp = pt_arena_alloc(arena, (size_t)n * sizeof *tmp);
        for (uint32_t i = 0; i < n; i++) {
            const pt_json_t *e = &arr->u.elems[i];
            if (convert_number(arena, e->u.str, e->len, &tmp[i], &ents[i].dec, err)) return PT_ERR;
            ents[i].idx = i;
        }
        qsort(ents, n, sizeof *ents, ns_entry_cmp);
        for (uint32_t i = 0; i < n; i++) {
            if (i && !pt_dec_cmp(&ents[i - 1].dec, &ents[i].dec))
                return verr(err, "Input collection contains duplicates");
            elems[i] = tmp[ents[i].idx];
        }
        return PT_OK;
    }

    for (uint32_t i = 0; i < n; i++) {
        const pt_json_t *e = &arr->u.elems[i];
        pt_av_t *d = &elems[i];
        d->boolean = false;
        if (type == PT_AV_SS) {
            d->type = PT_AV_S;
            d->len = e->len;
            d->u.str = e->u.str;
        } else {
            uint8_t *raw = pt_arena_alloc(arena, (size_t)e->len / 4 * 3 + 1);
            d->type = PT_AV_B;
            d->len = (uint32_t)b64_decode(e->u.str, e->len, raw);
            raw[d->len] = 0;
            d->u.str = (const char *)raw;
        }
    }
    qsort(elems, n, sizeof *elems, av_bytes_cmp);
    for (uint32_t i = 1; i < n; i++) {
        if (av_bytes_cmp(&elems[i - 1], &elems[i])) continue;
        char list[768];
        collection_str(arr, list, sizeof list);
        if (type == PT_AV_SS)
            return pt_error_set(err, PT_E_VALIDATION, INVALID "Input collection %s contains duplicates.",
                                list);
        /* sic: no space before "of type BS" */
        return pt_error_set(err, PT_E_VALIDATION,
                            INVALID "Input collection %sof type BS contains duplicates.", list);
    }
    return PT_OK;
}

static int convert_av(pt_arena_t *arena, const pt_json_t *j, int depth, pt_av_t *out,
                      pt_error_t *err);

typedef struct {
    const char *name;
    uint32_t len;
    uint32_t idx;
} name_entry_t;

static int name_entry_cmp(const void *x, const void *y)
{
    const name_entry_t *a = x, *b = y;
    int c = bytes_cmp(a->name, a->len, b->name, b->len);
    if (c) return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Converts a JSON object of AttributeValues (an M value or an item) into
 * sorted unique members. Duplicate names: the last one wins, as in Jackson's
 * map deserialization; the survivors are validated in document order. */
static int convert_map(pt_arena_t *arena, const pt_json_t *obj, int depth, pt_av_t *out,
                       pt_error_t *err)
{
    uint32_t n = obj->len;
    out->type = PT_AV_M;
    out->boolean = false;
    out->len = 0;
    out->u.members = NULL;
    if (!n) return PT_OK;

    name_entry_t *ents = pt_arena_alloc(arena, (size_t)n * sizeof *ents);
    for (uint32_t i = 0; i < n; i++) {
        ents[i].name = obj->u.members[i].key;
        ents[i].len = obj->u.members[i].key_len;
        ents[i].idx = i;
    }
    /* Items arrive mostly unsorted; n is small, so qsort's constant is fine. */
    qsort(ents, n, sizeof *ents, name_entry_cmp);

    /* slot[i]: position in the sorted output of document member i, or -1. */
    int32_t *slot = pt_arena_alloc(arena, (size_t)n * sizeof *slot);
    for (uint32_t i = 0; i < n; i++) slot[i] = -1;
    uint32_t count = 0;
    for (uint32_t k = 0; k < n; k++) {
        if (k + 1 < n && !bytes_cmp(ents[k].name, ents[k].len, ents[k + 1].name, ents[k + 1].len))
            continue; /* overwritten by a later duplicate */
        slot[ents[k].idx] = (int32_t)count++;
    }

    pt_av_member_t *members = pt_arena_alloc(arena, (size_t)count * sizeof *members);
    for (uint32_t i = 0; i < n; i++) {
        if (slot[i] < 0) continue;
        const pt_json_member_t *jm = &obj->u.members[i];
        pt_av_member_t *m = &members[slot[i]];
        m->name = jm->key;
        m->name_len = jm->key_len;
        if (convert_av(arena, &jm->value, depth, &m->value, err)) return PT_ERR;
    }
    out->len = count;
    out->u.members = members;
    return PT_OK;
}

static int convert_list(pt_arena_t *arena, const pt_json_t *arr, int depth, pt_av_t *out,
                        pt_error_t *err)
{
    uint32_t n = arr->len;
    pt_av_t *elems = n ? pt_arena_alloc(arena, (size_t)n * sizeof *elems) : NULL;
    for (uint32_t i = 0; i < n; i++)
        if (convert_av(arena, &arr->u.elems[i], depth, &elems[i], err)) return PT_ERR;
    out->type = PT_AV_L;
    out->boolean = false;
    out->len = n;
    out->u.elems = elems;
    return PT_OK;
}

/* Converts one type member's value (kinds already checked by phase 1). */
static int convert_typed(pt_arena_t *arena, int type, const pt_json_t *x, int depth, pt_av_t *out,
                         pt_error_t *err)
{
    pt_dec_t dec;
    out->type = (uint8_t)type;
    out->boolean = false;
    out->len = 0;
    out->u.str = NULL;
    switch (type) {
    case PT_AV_S:
        out->len = x->len;
        out->u.str = x->u.str;
        return PT_OK;
    case PT_AV_N: return convert_number(arena, x->u.str, x->len, out, &dec, err);
    case PT_AV_B: {
        uint8_t *raw = pt_arena_alloc(arena, (size_t)x->len / 4 * 3 + 1);
        out->len = (uint32_t)b64_decode(x->u.str, x->len, raw);
        raw[out->len] = 0;
        out->u.str = (const char *)raw;
        return PT_OK;
    }
    case PT_AV_BOOL: out->boolean = json_bool(x); return PT_OK;
    case PT_AV_NULL:
        if (!json_bool(x)) return verr(err, INVALID "Null attribute value types must have the value of true");
        return PT_OK;
    case PT_AV_SS:
    case PT_AV_NS:
    case PT_AV_BS: return convert_set(arena, type, x, out, err);
    case PT_AV_M: return convert_map(arena, x, depth + 1, out, err);
    case PT_AV_L: return convert_list(arena, x, depth + 1, out, err);
    }
    return verr(err, MSG_EMPTY_AV);
}

static int convert_av(pt_arena_t *arena, const pt_json_t *j, int depth, pt_av_t *out,
                      pt_error_t *err)
{
    /* DynamoDB counts an item's attribute as level 1 and accepts values
     * down to level 32 (observed: 31 nested maps around a scalar pass, 32
     * fail); depth 0 here is level 1. */
    if (depth >= PT_AV_MAX_DEPTH) return verr(err, MSG_NESTING);
    if (j->type != PT_JSON_OBJECT) return verr(err, MSG_EMPTY_AV); /* JSON null */

    /* Last occurrence of each type member wins (Jackson). */
    int32_t last[PT_AV_BS + 1];
    for (int t = 0; t <= PT_AV_BS; t++) last[t] = -1;
    int ntypes = 0;
    for (uint32_t i = 0; i < j->len; i++) {
        const pt_json_member_t *m = &j->u.members[i];
        if (m->value.type == PT_JSON_NULL) continue;
        int t = pt_av_type_from_name(m->key, m->key_len);
        if (!t) continue;
        if (last[t] < 0) ntypes++;
        last[t] = (int32_t)i;
    }
    if (!ntypes) return verr(err, MSG_EMPTY_AV);

    bool have = false;
    for (uint32_t i = 0; i < j->len; i++) {
        const pt_json_member_t *m = &j->u.members[i];
        if (m->value.type == PT_JSON_NULL) continue;
        int t = pt_av_type_from_name(m->key, m->key_len);
        if (!t || last[t] != (int32_t)i) continue;
        pt_av_t tmp;
        if (convert_typed(arena, t, &m->value, depth, have ? &tmp : out, err)) return PT_ERR;
        have = true;
    }
    if (ntypes > 1) return verr(err, MSG_MULTI_AV);
    return PT_OK;
}

int pt_av_from_json(pt_arena_t *arena, const pt_json_t *json, int depth, pt_av_t *out,
                    pt_error_t *err)
{
    if (!json) return verr(err, MSG_EMPTY_AV);
    if (json->type != PT_JSON_NULL && check_shape(json, err)) return PT_ERR;
    return convert_av(arena, json, depth, out, err);
}

int pt_item_from_json(pt_arena_t *arena, const pt_json_t *json, pt_av_t *out, pt_error_t *err)
{
    if (!json || json->type == PT_JSON_NULL) { /* absent: an empty item */
        out->type = PT_AV_M;
        out->boolean = false;
        out->len = 0;
        out->u.members = NULL;
        return PT_OK;
    }
    if (check_map_shape(json, err)) return PT_ERR;
    return convert_map(arena, json, 0, out, err);
}

/* ------------------------------------------------------------------ */
/* JSON output                                                         */

static void write_set(pt_jw_t *w, const pt_av_t *v)
{
    pt_jw_arr_begin(w);
    for (uint32_t i = 0; i < v->len; i++) {
        const pt_av_t *e = &v->u.elems[i];
        if (v->type == PT_AV_BS) pt_jw_base64(w, e->u.str, e->len);
        else pt_jw_str(w, e->u.str, e->len);
    }
    pt_jw_arr_end(w);
}

void pt_av_write_json(pt_jw_t *w, const pt_av_t *v)
{
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, pt_av_type_name(v->type));
    switch (v->type) {
    case PT_AV_S:
    case PT_AV_N: pt_jw_str(w, v->u.str, v->len); break;
    case PT_AV_B: pt_jw_base64(w, v->u.str, v->len); break;
    case PT_AV_BOOL: pt_jw_bool(w, v->boolean); break;
    case PT_AV_NULL: pt_jw_bool(w, true); break;
    case PT_AV_M: pt_item_write_json(w, v); break;
    case PT_AV_L:
        pt_jw_arr_begin(w);
        for (uint32_t i = 0; i < v->len; i++) pt_av_write_json(w, &v->u.elems[i]);
        pt_jw_arr_end(w);
        break;
    case PT_AV_SS:
    case PT_AV_NS:
    case PT_AV_BS: write_set(w, v); break;
    default: pt_jw_null(w); break;
    }
    pt_jw_obj_end(w);
}

void pt_item_write_json(pt_jw_t *w, const pt_av_t *item)
{
    pt_jw_obj_begin(w);
    for (uint32_t i = 0; i < item->len; i++) {
        const pt_av_member_t *m = &item->u.members[i];
        pt_jw_key(w, m->name, m->name_len);
        pt_av_write_json(w, &m->value);
    }
    pt_jw_obj_end(w);
}

/* ------------------------------------------------------------------ */
/* Size                                                                */

/* Significant digits of canonical number text: leading zeros ("0.05") and
 * trailing zeros of the integer part ("1000") do not count. */
static size_t significant_digits(const char *s, size_t len)
{
    size_t first = len, last = 0, n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] >= '1' && s[i] <= '9') {
            if (first == len) first = i;
            last = i;
        }
    }
    if (first == len) return 0;
    for (size_t i = first; i <= last; i++) n += s[i] >= '0' && s[i] <= '9';
    return n;
}

/* AWS, "DynamoDB item sizes and formats" (CapacityUnitCalculations.html):
 *  - Strings: number of UTF-8-encoded bytes.
 *  - Numbers: "(1 byte per two significant digits) + (1 byte)"; leading and
 *    trailing zeroes are trimmed.
 *  - Binary: number of raw bytes.
 *  - Null or Boolean: 1 byte.
 *  - List or Map: 3 bytes of overhead "regardless of its contents" plus the
 *    size of the nested elements, and "each List or Map element requires an
 *    additional 1 byte"; a Map element's size includes its name.
 *  - Sets: the sum of their members' sizes (each as the scalar type).
 * The item: sum over attributes of (UTF-8 bytes of name + value size). */
size_t pt_av_size(const pt_av_t *v)
{
    size_t sz = 0;
    switch (v->type) {
    case PT_AV_S:
    case PT_AV_B: return v->len;
    case PT_AV_N: return (significant_digits(v->u.str, v->len) + 1) / 2 + 1;
    case PT_AV_BOOL:
    case PT_AV_NULL: return 1;
    case PT_AV_SS:
    case PT_AV_BS:
        for (uint32_t i = 0; i < v->len; i++) sz += v->u.elems[i].len;
        return sz;
    case PT_AV_NS:
        for (uint32_t i = 0; i < v->len; i++) sz += pt_av_size(&v->u.elems[i]);
        return sz;
    case PT_AV_L:
        sz = 3 + v->len;
        for (uint32_t i = 0; i < v->len; i++) sz += pt_av_size(&v->u.elems[i]);
        return sz;
    case PT_AV_M: return 3 + v->len + pt_item_size(v);
    }
    return 0;
}

size_t pt_item_size(const pt_av_t *item)
{
    size_t sz = 0;
    for (uint32_t i = 0; i < item->len; i++)
        sz += item->u.members[i].name_len + pt_av_size(&item->u.members[i].value);
    return sz;
}

/* ------------------------------------------------------------------ */
/* Lookup and equality                                                 */

const pt_av_t *pt_item_get(const pt_av_t *item, const char *name, size_t name_len)
{
    if (!item || item->type != PT_AV_M) return NULL;
    size_t lo = 0, hi = item->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const pt_av_member_t *m = &item->u.members[mid];
        int c = bytes_cmp(m->name, m->name_len, name, name_len);
        if (!c) return &m->value;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* Canonical text makes equal numbers byte-equal; parsing is only a
 * fallback for values built outside this module. */
static bool num_equal(const pt_av_t *a, const pt_av_t *b)
{
    if (a->len == b->len && !memcmp(a->u.str, b->u.str, a->len)) return true;
    pt_dec_t x, y;
    pt_error_t e;
    if (pt_dec_parse(a->u.str, a->len, &x, &e) || pt_dec_parse(b->u.str, b->len, &y, &e))
        return false;
    return !pt_dec_cmp(&x, &y);
}

bool pt_av_equal(const pt_av_t *a, const pt_av_t *b)
{
    if (a->type != b->type) return false;
    switch (a->type) {
    case PT_AV_S:
    case PT_AV_B: return a->len == b->len && !memcmp(a->u.str, b->u.str, a->len);
    case PT_AV_N: return num_equal(a, b);
    case PT_AV_BOOL: return a->boolean == b->boolean;
    case PT_AV_NULL: return true;
    case PT_AV_M:
        if (a->len != b->len) return false;
        for (uint32_t i = 0; i < a->len; i++) {
            const pt_av_member_t *x = &a->u.members[i], *y = &b->u.members[i];
            if (x->name_len != y->name_len || memcmp(x->name, y->name, x->name_len) ||
                !pt_av_equal(&x->value, &y->value))
                return false;
        }
        return true;
    case PT_AV_L:
    case PT_AV_SS:
    case PT_AV_NS:
    case PT_AV_BS:
        /* Sets are sorted and unique (invariant), so as sets they are equal
         * exactly when they are equal member by member. */
        if (a->len != b->len) return false;
        for (uint32_t i = 0; i < a->len; i++)
            if (!pt_av_equal(&a->u.elems[i], &b->u.elems[i])) return false;
        return true;
    }
    return false;
}
