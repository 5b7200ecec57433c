package dev.cnf.activities.dataset;

/** Why an item left the dataset. Every drop carries exactly one of these. */
public enum DropReason {
    HTTP_4XX, HTTP_5XX, TIMEOUT, NETWORK_ERROR, TOO_MANY_REDIRECTS, BLOCKED_ADDRESS, TOO_LARGE_BYTES,
    NOT_AN_IMAGE, DECODE_ERROR, TOO_SMALL, DUPLICATE,
    /** Retraining with onlyNewData: the same bytes were in the latest published version's training data. */
    ALREADY_TRAINED
}
