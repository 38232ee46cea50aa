/* Secondary index definitions: DynamoDB's checks and conversion (see
 * index_defs.h). Messages are DynamoDB's as recorded by dynalite
 * (validations/createTable.js) and, where dynalite has none, as the service
 * answers ("ProvisionedThroughput is not specified for index", "Some
 * AttributeDefinitions are not used"). Parameter kinds and constraints are
 * checked before, by params.c; this module assumes them. */
#include "api/index_defs.h"

#include <stdlib.h>
#include <string.h>

#include "api/params.h"
#include "engine/av.h"

static const pt_json_t *member(const pt_json_t *obj, const char *name)
{
    const pt_json_t *v = obj ? pt_json_get(obj, name) : NULL;
    return v && v->type != PT_JSON_NULL ? v : NULL;
}

static bool json_eq(const pt_json_t *a, const pt_json_t *b)
{
    return a && b && a->type == PT_JSON_STRING && b->type == PT_JSON_STRING && a->len == b->len &&
           !memcmp(a->u.str, b->u.str, a->len);
}

static bool defined(const pt_json_t *defs, const pt_json_t *name)
{
    for (uint32_t i = 0; i < defs->len; i++)
        if (json_eq(member(&defs->u.elems[i], "AttributeName"), name)) return true;
    return false;
}

/* "a, b" of the AttributeName members of a list. */
static void join_names(pt_buf_t *b, const pt_json_t *list)
{
    for (uint32_t i = 0; i < list->len; i++) {
        const pt_json_t *n = member(&list->u.elems[i], "AttributeName");
        if (i) pt_buf_puts(b, ", ");
        if (n) pt_buf_append(b, n->u.str, n->len);
    }
    pt_buf_putc(b, 0);
}

static int undefined_keys(pt_call_t *call, const pt_json_t *keys, const pt_json_t *defs)
{
    pt_buf_t k = PT_BUF_INIT, d = PT_BUF_INIT;
    join_names(&k, keys);
    join_names(&d, defs);
    pt_error_set(&call->err, PT_E_VALIDATION,
                 "One or more parameter values were invalid: Some index key attributes are not defined in "
                 "AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]",
                 k.data, d.data);
    pt_buf_free(&k);
    pt_buf_free(&d);
    return PT_ERR;
}

/* The checks common to LSIs and GSIs, up to the projection. */
static int check_common(pt_call_t *call, const pt_json_t *ix, const pt_json_t *defs)
{
    pt_error_t *err = &call->err;
    const pt_json_t *keys = member(ix, "KeySchema");
    for (uint32_t i = 0; i < keys->len; i++)
        if (!defined(defs, member(&keys->u.elems[i], "AttributeName"))) return undefined_keys(call, keys, defs);
    if (keys->len == 2 &&
        json_eq(member(&keys->u.elems[0], "AttributeName"), member(&keys->u.elems[1], "AttributeName")))
        return pt_error_set(err, PT_E_VALIDATION,
                            "Both the Hash Key and the Range Key element in the KeySchema have the same name");
    if (!pt_json_streq(member(&keys->u.elems[0], "KeyType"), "HASH"))
        return pt_error_set(err, PT_E_VALIDATION, "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    if (keys->len == 2 && !pt_json_streq(member(&keys->u.elems[1], "KeyType"), "RANGE"))
        return pt_error_set(err, PT_E_VALIDATION,
                            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    return PT_OK;
}

static int check_projection(pt_call_t *call, const pt_json_t *ix)
{
    const pt_json_t *proj = member(ix, "Projection");
    const pt_json_t *type = member(proj, "ProjectionType");
    if (!type)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "One or more parameter values were invalid: Unknown ProjectionType: null");
    if (member(proj, "NonKeyAttributes") && !pt_json_streq(type, "INCLUDE"))
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "One or more parameter values were invalid: ProjectionType is %.*s, but NonKeyAttributes "
                            "is specified",
                            (int)type->len, type->u.str);
    return PT_OK;
}

static int check_duplicate(pt_call_t *call, const pt_json_t *name, const pt_json_t **seen, uint32_t *nseen)
{
    for (uint32_t i = 0; i < *nseen; i++)
        if (json_eq(seen[i], name))
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Duplicate index name: %.*s", (int)name->len,
                                name->u.str);
    seen[(*nseen)++] = name;
    return PT_OK;
}

int pt_api_check_indexes(pt_call_t *call, const pt_json_t *defs, const pt_json_t *table_hash, bool table_has_range,
                         const pt_json_t *lsi, const pt_json_t *gsi, bool ppr)
{
    pt_error_t *err = &call->err;
    uint32_t total = (lsi ? lsi->len : 0) + (gsi ? gsi->len : 0);
    const pt_json_t **seen = pt_arena_alloc(&call->arena, sizeof *seen * (total ? total : 1));
    uint32_t nseen = 0;
    if (lsi) {
        if (!lsi->len)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: List of LocalSecondaryIndexes is empty");
        if (!table_has_range)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Table KeySchema does not have a range key, "
                                "which is required when specifying a LocalSecondaryIndex");
        for (uint32_t i = 0; i < lsi->len; i++) {
            const pt_json_t *ix = &lsi->u.elems[i];
            const pt_json_t *name = member(ix, "IndexName");
            const pt_json_t *keys = member(ix, "KeySchema");
            if (check_common(call, ix, defs)) return PT_ERR;
            if (keys->len != 2)
                return pt_error_set(err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Index KeySchema does not have a range "
                                    "key for index: %.*s",
                                    (int)name->len, name->u.str);
            const pt_json_t *h = member(&keys->u.elems[0], "AttributeName");
            if (!json_eq(h, table_hash))
                return pt_error_set(err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Index KeySchema does not have the same "
                                    "leading hash key as table KeySchema for index: %.*s. index hash key: %.*s, table "
                                    "hash key: %.*s",
                                    (int)name->len, name->u.str, (int)h->len, h->u.str, (int)table_hash->len,
                                    table_hash->u.str);
            if (check_projection(call, ix)) return PT_ERR;
            if (check_duplicate(call, name, seen, &nseen)) return PT_ERR;
        }
        if (lsi->len > PT_MAX_LSI)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds "
                                "per-table limit of 5");
    }
    if (gsi) {
        if (!gsi->len)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty");
        for (uint32_t i = 0; i < gsi->len; i++) {
            const pt_json_t *ix = &gsi->u.elems[i];
            const pt_json_t *name = member(ix, "IndexName");
            if (check_common(call, ix, defs)) return PT_ERR;
            if (check_projection(call, ix)) return PT_ERR;
            const pt_json_t *pt = member(ix, "ProvisionedThroughput");
            if (ppr && pt)
                return pt_error_set(err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: ProvisionedThroughput should not be "
                                    "specified for index: %.*s when BillingMode is PAY_PER_REQUEST",
                                    (int)name->len, name->u.str);
            if (!ppr && !pt)
                return pt_error_set(err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: ProvisionedThroughput is not specified "
                                    "for index: %.*s",
                                    (int)name->len, name->u.str);
            if (check_duplicate(call, name, seen, &nseen)) return PT_ERR;
        }
        if (gsi->len > PT_MAX_GSI)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the "
                                "per-table limit of 20");
    }
    return PT_OK;
}

static bool in_keys(const pt_json_t *keys, const pt_json_t *name)
{
    for (uint32_t i = 0; keys && i < keys->len; i++)
        if (json_eq(member(&keys->u.elems[i], "AttributeName"), name)) return true;
    return false;
}

static bool used(const pt_json_t *name, const pt_json_t *keys, const pt_json_t *lsi, const pt_json_t *gsi)
{
    if (in_keys(keys, name)) return true;
    const pt_json_t *lists[2] = {lsi, gsi};
    for (int l = 0; l < 2; l++)
        for (uint32_t i = 0; lists[l] && i < lists[l]->len; i++)
            if (in_keys(member(&lists[l]->u.elems[i], "KeySchema"), name)) return true;
    return false;
}

/* Appends a key name to the "keys used" list unless already there. */
static void add_used(pt_arena_t *arena, const pt_json_t ***list, uint32_t *n, const pt_json_t *name)
{
    for (uint32_t i = 0; i < *n; i++)
        if (json_eq((*list)[i], name)) return;
    const pt_json_t **grown = pt_arena_alloc(arena, sizeof *grown * (*n + 1));
    if (*n) memcpy(grown, *list, sizeof *grown * *n);
    grown[(*n)++] = name;
    *list = grown;
}

int pt_api_check_defs_used(pt_call_t *call, const pt_json_t *defs, const pt_json_t *keys, const pt_json_t *lsi,
                           const pt_json_t *gsi)
{
    bool all = true;
    for (uint32_t i = 0; i < defs->len; i++) all &= used(member(&defs->u.elems[i], "AttributeName"), keys, lsi, gsi);
    if (all) return PT_OK;
    const pt_json_t **names = NULL;
    uint32_t n = 0;
    const pt_json_t *lists[3] = {keys, lsi, gsi};
    for (int l = 0; l < 3; l++) {
        if (!lists[l]) continue;
        if (l == 0) {
            for (uint32_t i = 0; i < keys->len; i++)
                add_used(&call->arena, &names, &n, member(&keys->u.elems[i], "AttributeName"));
            continue;
        }
        for (uint32_t i = 0; i < lists[l]->len; i++) {
            const pt_json_t *ks = member(&lists[l]->u.elems[i], "KeySchema");
            for (uint32_t k = 0; ks && k < ks->len; k++)
                add_used(&call->arena, &names, &n, member(&ks->u.elems[k], "AttributeName"));
        }
    }
    pt_buf_t d = PT_BUF_INIT, u = PT_BUF_INIT;
    join_names(&d, defs);
    for (uint32_t i = 0; i < n; i++) {
        if (i) pt_buf_puts(&u, ", ");
        pt_buf_append(&u, names[i]->u.str, names[i]->len);
    }
    pt_buf_putc(&u, 0);
    pt_error_set(&call->err, PT_E_VALIDATION,
                 "One or more parameter values were invalid: Some AttributeDefinitions are not used. "
                 "AttributeDefinitions: [%s], keys used: [%s]",
                 d.data, u.data);
    pt_buf_free(&d);
    pt_buf_free(&u);
    return PT_ERR;
}

static char *dup(const pt_json_t *v)
{
    char *s = strndup(v->u.str, v->len);
    if (!s) pt_oom();
    return s;
}

static void set_key(pt_attr_def_t *a, const pt_json_t *name, const pt_json_t *defs, const pt_table_t *t)
{
    a->name = dup(name);
    for (uint32_t i = 0; defs && i < defs->len; i++) {
        if (!json_eq(member(&defs->u.elems[i], "AttributeName"), name)) continue;
        const pt_json_t *type = member(&defs->u.elems[i], "AttributeType");
        a->type = (uint8_t)pt_av_type_from_name(type->u.str, type->len);
        return;
    }
    for (uint32_t i = 0; t && i < t->nattrs; i++)
        if (strlen(t->attrs[i].name) == name->len && !memcmp(t->attrs[i].name, name->u.str, name->len))
            a->type = t->attrs[i].type;
}

pt_index_t *pt_api_index_new(const pt_json_t *def, const pt_json_t *defs, const pt_table_t *t, bool global)
{
    pt_index_t *ix = calloc(1, sizeof *ix);
    if (!ix) pt_oom();
    ix->name = dup(member(def, "IndexName"));
    ix->global = global;
    const pt_json_t *keys = member(def, "KeySchema");
    set_key(&ix->hash, member(&keys->u.elems[0], "AttributeName"), defs, t);
    if (keys->len == 2) set_key(&ix->range, member(&keys->u.elems[1], "AttributeName"), defs, t);
    const pt_json_t *proj = member(def, "Projection");
    const pt_json_t *type = member(proj, "ProjectionType");
    ix->projection = pt_json_streq(type, "ALL") ? PT_PROJ_ALL : pt_json_streq(type, "INCLUDE") ? PT_PROJ_INCLUDE
                                                                                       : PT_PROJ_KEYS_ONLY;
    const pt_json_t *inc = member(proj, "NonKeyAttributes");
    if (inc && inc->len && ix->projection == PT_PROJ_INCLUDE) {
        ix->include = calloc(inc->len, sizeof *ix->include);
        if (!ix->include) pt_oom();
        for (uint32_t i = 0; i < inc->len; i++) {
            /* a repeated name is kept once (DynamoDB dedupes it) */
            bool again = false;
            for (uint32_t k = 0; k < ix->ninclude; k++)
                again |= strlen(ix->include[k]) == inc->u.elems[i].len &&
                         !memcmp(ix->include[k], inc->u.elems[i].u.str, inc->u.elems[i].len);
            if (!again) ix->include[ix->ninclude++] = dup(&inc->u.elems[i]);
        }
    }
    const pt_json_t *pt = member(def, "ProvisionedThroughput");
    if (pt) {
        ix->rcu = pt_param_int(pt, "ReadCapacityUnits", 0);
        ix->wcu = pt_param_int(pt, "WriteCapacityUnits", 0);
    }
    return ix;
}
